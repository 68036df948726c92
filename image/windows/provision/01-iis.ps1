# Provision script for bake-ami (provision-scripts, platform windows): run over SSM Run Command
# as PowerShell. A non-zero exit fails the bake.
$ErrorActionPreference = 'Stop'
echo 'bake: installing IIS and ASP.NET'
Install-WindowsFeature -Name Web-Server, Web-Asp-Net45 -IncludeManagementTools
echo 'bake: IIS installed'
