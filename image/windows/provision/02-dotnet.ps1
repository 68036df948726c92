# Installs the .NET hosting bundle so ASP.NET Core apps run under IIS.
$ErrorActionPreference = 'Stop'
echo 'bake: installing the .NET 8 hosting bundle'
$installer = Join-Path $env:TEMP 'dotnet-hosting.exe'
Invoke-WebRequest -Uri 'https://aka.ms/dotnet/8.0/dotnet-hosting-win.exe' -OutFile $installer -UseBasicParsing
Start-Process $installer -ArgumentList '/install', '/quiet', '/norestart' -Wait
echo 'bake: .NET hosting bundle installed'
