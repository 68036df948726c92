# Installs the Octopus Tentacle but does not register it: every instance launched from the AMI
# registers itself at boot (with its own name and thumbprint), so the image holds no identity.
$ErrorActionPreference = 'Stop'
echo 'bake: installing the Octopus Tentacle (unregistered)'
$msi = Join-Path $env:TEMP 'Octopus.Tentacle.msi'
Invoke-WebRequest -Uri 'https://octopus.com/downloads/latest/WindowsX64/OctopusTentacle' -OutFile $msi -UseBasicParsing
$p = Start-Process msiexec.exe -ArgumentList '/i', $msi, '/quiet', '/norestart' -Wait -PassThru
if ($p.ExitCode -ne 0) { throw "Tentacle install failed with $($p.ExitCode)" }
echo 'bake: Tentacle installed, not registered'
