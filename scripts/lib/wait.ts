/** Polls `check` until it returns true, or throws at the deadline naming what it waited for. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  deadline: number,
  intervalMs = 200,
): Promise<void> {
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** True when GET `url` answers 2xx within `timeoutMs`. */
export async function answersOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.ok;
}
