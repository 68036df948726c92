<powershell>
# EC2Launch v2 user data for bake-ami (engine: native, platform windows): provision at first
# boot, then generalise with EC2Launch sysprep, which shuts the builder down for imaging.
$ErrorActionPreference = 'Stop'
trap {
  Write-Output "BAKE-FAILED: $($_.Exception.Message)"
  exit 1
}

Write-Output 'bake: installing IIS and ASP.NET'
Install-WindowsFeature -Name Web-Server, Web-Asp-Net45 -IncludeManagementTools

Write-Output 'bake: installing the Octopus Tentacle (not registered; instances register at launch)'
$msi = Join-Path $env:TEMP 'Octopus.Tentacle.msi'
Invoke-WebRequest -Uri 'https://octopus.com/downloads/latest/WindowsX64/OctopusTentacle' -OutFile $msi -UseBasicParsing
Start-Process msiexec.exe -ArgumentList '/i', $msi, '/quiet', '/norestart' -Wait

Write-Output 'bake: done, generalising'
& "$env:ProgramFiles\Amazon\EC2Launch\ec2launch.exe" sysprep --shutdown
</powershell>
