# Installs the .NET hosting bundle so ASP.NET Core apps run under IIS. Runs over Run Command: the
# installer's 3010 ("reboot required") becomes exit 3010, on which the SSM Agent reboots the
# builder and runs this script again; it then finds the bundle installed.
$ErrorActionPreference = 'Stop'
if (Test-Path "$env:ProgramFiles\dotnet\shared\Microsoft.AspNetCore.App\8.*") {
  echo 'bake: .NET 8 hosting bundle present'
  exit 0
}
echo 'bake: installing the .NET 8 hosting bundle'
$installer = Join-Path $env:TEMP 'dotnet-hosting.exe'
Invoke-WebRequest -Uri 'https://aka.ms/dotnet/8.0/dotnet-hosting-win.exe' -OutFile $installer -UseBasicParsing
# "latest" has no hash to pin: the file must carry a valid Authenticode signature by Microsoft.
$sig = Get-AuthenticodeSignature -FilePath $installer
if ($sig.Status -ne 'Valid' -or $sig.SignerCertificate.Subject -notmatch '^CN=Microsoft Corporation,') {
  throw "dotnet-hosting.exe is not validly signed by Microsoft Corporation ($($sig.Status), $($sig.SignerCertificate.Subject))"
}
$p = Start-Process $installer -ArgumentList '/install', '/quiet', '/norestart' -Wait -PassThru
if ($p.ExitCode -eq 3010) {
  echo 'bake: .NET hosting bundle installed, rebooting to complete it'
  exit 3010
}
if ($p.ExitCode -ne 0) { throw "the .NET hosting bundle installer failed with exit code $($p.ExitCode)" }
echo 'bake: .NET hosting bundle installed'
