<powershell>
# EC2Launch v2 user data for bake-ami (engine: native, platform windows): provision at first
# boot, then generalise with EC2Launch sysprep, which shuts the builder down for imaging.
# AWS's console output for Windows holds what reaches the serial port (COM1), not Write-Output:
# the markers bake-ami looks for are written there. On any error the trap writes BAKE-FAILED and
# powers off, so the failure is posted at the stop instead of waiting out the timeout.
$ErrorActionPreference = 'Stop'
function Write-Console([string]$Text) {
  $port = New-Object System.IO.Ports.SerialPort 'COM1'
  $port.Open()
  $port.WriteLine($Text)
  $port.Close()
  Write-Output $Text
}
trap {
  Write-Console "BAKE-FAILED: $($_.Exception.Message)"
  Stop-Computer -Force
  exit 1
}

Write-Output 'bake: installing IIS and ASP.NET'
Install-WindowsFeature -Name Web-Server, Web-Asp-Net45 -IncludeManagementTools

Write-Output 'bake: installing the Octopus Tentacle (not registered; instances register at launch)'
$msi = Join-Path $env:TEMP 'Octopus.Tentacle.msi'
Invoke-WebRequest -Uri 'https://octopus.com/downloads/latest/WindowsX64/OctopusTentacle' -OutFile $msi -UseBasicParsing
# "latest" has no hash to pin: the file must carry a valid Authenticode signature by Octopus Deploy.
$sig = Get-AuthenticodeSignature -FilePath $msi
if ($sig.Status -ne 'Valid' -or $sig.SignerCertificate.Subject -notmatch '^CN="?Octopus Deploy Pty\.? Ltd\.?"?,') {
  throw "Octopus.Tentacle.msi is not validly signed by Octopus Deploy ($($sig.Status), $($sig.SignerCertificate.Subject))"
}
$p = Start-Process msiexec.exe -ArgumentList '/i', $msi, '/quiet', '/norestart' -Wait -PassThru
# User data cannot resume after a reboot as a Run Command script can (exit 3010): say so.
if ($p.ExitCode -eq 3010) { throw 'the Tentacle install needs a reboot to complete: bake with provision-scripts, which reboot and resume on exit 3010' }
if ($p.ExitCode -ne 0) { throw "Tentacle install failed with exit code $($p.ExitCode)" }

Write-Console 'BAKE-SUCCEEDED'
Write-Output 'bake: done, generalising'
& "$env:ProgramFiles\Amazon\EC2Launch\ec2launch.exe" sysprep --shutdown
</powershell>
