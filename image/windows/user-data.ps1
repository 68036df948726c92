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
Start-Process msiexec.exe -ArgumentList '/i', $msi, '/quiet', '/norestart' -Wait

Write-Console 'BAKE-SUCCEEDED'
Write-Output 'bake: done, generalising'
& "$env:ProgramFiles\Amazon\EC2Launch\ec2launch.exe" sysprep --shutdown
</powershell>
