# Installs the Octopus Tentacle but does not register it: every instance launched from the AMI
# registers itself at boot (with its own name and thumbprint), so the image holds no identity.
# Runs over Run Command: msiexec's 3010 becomes exit 3010 (the SSM Agent reboots the builder and
# runs this script again, which then finds the Tentacle installed).
$ErrorActionPreference = 'Stop'
if (Test-Path "$env:ProgramFiles\Octopus Deploy\Tentacle\Tentacle.exe") {
  echo 'bake: Tentacle present, not registered'
  exit 0
}
echo 'bake: installing the Octopus Tentacle (unregistered)'
$msi = Join-Path $env:TEMP 'Octopus.Tentacle.msi'
Invoke-WebRequest -Uri 'https://octopus.com/downloads/latest/WindowsX64/OctopusTentacle' -OutFile $msi -UseBasicParsing
# "latest" has no hash to pin: the file must carry a valid Authenticode signature by Octopus Deploy.
$sig = Get-AuthenticodeSignature -FilePath $msi
if ($sig.Status -ne 'Valid' -or $sig.SignerCertificate.Subject -notmatch '^CN="?Octopus Deploy Pty\.? Ltd\.?"?,') {
  throw "Octopus.Tentacle.msi is not validly signed by Octopus Deploy ($($sig.Status), $($sig.SignerCertificate.Subject))"
}
$p = Start-Process msiexec.exe -ArgumentList '/i', $msi, '/quiet', '/norestart' -Wait -PassThru
if ($p.ExitCode -eq 3010) {
  echo 'bake: Tentacle installed, rebooting to complete it'
  exit 3010
}
if ($p.ExitCode -ne 0) { throw "Tentacle install failed with exit code $($p.ExitCode)" }
echo 'bake: Tentacle installed, not registered'
