@echo off
rem Installs msa-gateway on Windows: checks Node.js and npm, installs the locked
rem dependencies (npm ci) and builds. Usage: install.bat
setlocal
cd /d "%~dp0"

where node >nul 2>nul
if errorlevel 1 (
  echo x Node.js is not installed: install Node.js 20.18 or newer from https://nodejs.org, then run this again.
  exit /b 1
)
for /f "delims=" %%v in ('node -p "process.versions.node"') do set NODE_VERSION=%%v
node -e "const [a, b] = process.versions.node.split('.').map(Number); process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)"
if errorlevel 1 (
  echo x Node.js %NODE_VERSION% is too old: msa-gateway needs 20.18 or newer.
  exit /b 1
)

where npm >nul 2>nul
if errorlevel 1 (
  echo x npm is not installed ^(it ships with Node.js^): reinstall Node.js 20.18 or newer.
  exit /b 1
)
for /f "delims=" %%v in ('npm --version') do set NPM_VERSION=%%v
for /f "tokens=1 delims=." %%m in ("%NPM_VERSION%") do set NPM_MAJOR=%%m
if %NPM_MAJOR% LSS 9 (
  echo x npm %NPM_VERSION% is too old: run npm install -g npm@latest ^(npm 9 or newer^).
  exit /b 1
)
echo ok Node.js %NODE_VERSION%, npm %NPM_VERSION%

echo Installing dependencies (npm ci). Compiling the SQLite module can take a minute ...
call npm ci --no-audit --no-fund
if errorlevel 1 (
  echo x npm ci failed. If better-sqlite3 failed to build: install the "Desktop development with C++" workload of Visual Studio Build Tools and Python 3, then run this again.
  exit /b 1
)
echo ok dependencies installed

echo Building ...
call npm run build --silent
if errorlevel 1 (
  echo x the build failed; the errors are above.
  exit /b 1
)
echo ok built into dist\

echo.
echo msa-gateway is installed. Next steps:
echo   npm start                 gateway + the three sample services (http://localhost:8000, Swagger UI at /docs)
echo   npm run start:gateway     the gateway alone
echo   npm run check-install     check this installation
echo   npm test                  run the tests
endlocal
