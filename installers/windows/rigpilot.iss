; Inno Setup 6 script for RigPilot on Windows (x64).
;
; Build the bundle first, on Windows, from the repository root:
;   .venv\Scripts\pyinstaller --noconfirm --distpath dist --workpath build installers\rigpilot.spec
; then compile this script (the version comes from the package):
;   for /f %v in ('.venv\Scripts\python -c "import desktop; print(desktop.__version__)"') do ^
;     iscc /DAppVersion=%v installers\windows\rigpilot.iss
; The installer lands in dist\rigpilot-<version>-windows-x64-setup.exe.
;
; A per-user install by default (no admin prompt): RigPilot, its worker and its autostart
; all run as the signed-in user. The bundle is a folder (dist\rigpilot\): rigpilot.exe is the
; windowed app and worker, rigpilot-cli.exe the same program for terminals.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z installers\windows\rigpilot.iss
#endif

#define AppName "RigPilot"
#define AppExe "rigpilot.exe"
#define CliExe "rigpilot-cli.exe"
; desktop/autostart.py writes and reads this same Run value; keep the names in step.
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"
#define RunValue "RigPilot"

[Setup]
AppId={{6F3B2A1C-8E4D-4C7A-9B52-3D1E7F0A9C46}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=RigPilot developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=rigpilot-{#AppVersion}-windows-x64-setup
SetupIconFile=build\rigpilot\rigpilot.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Files in use (the app in the tray) are closed through the Restart Manager.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "autostart"; Description: "Start RigPilot in the tray when I sign in"; GroupDescription: "Start-up:"; Flags: unchecked

[Files]
Source: "dist\rigpilot\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Put your idle NVIDIA GPU to paid work, safely"
Name: "{autoprograms}\{#AppName} self-test"; Filename: "{app}\{#CliExe}"; Parameters: "self-test"; Comment: "Check that the installation is whole"

[Registry]
; The same value the app's own "Start at sign-in" setting uses (desktop/autostart.py).
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#RunValue}"; ValueData: """{app}\{#AppExe}"" --minimized"; Tasks: autostart; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#AppExe}"; Description: "Open RigPilot now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Stop the worker before its files go: it stops its job containers and releases the GPU.
Filename: "{app}\{#CliExe}"; Parameters: "worker stop"; Flags: runhidden waituntilterminated; RunOnceId: "StopWorker"

[Code]
{ Stop a running worker before files are replaced (upgrade) so that none is in use. }
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  Cli: String;
  ResultCode: Integer;
begin
  Result := '';
  Cli := ExpandConstant('{app}\{#CliExe}');
  if FileExists(Cli) then
    Exec(Cli, 'worker stop', '', SW_HIDE, ewWaitUntilTerminated, ResultCode);
end;

{ The app can set the Run value itself; take it away on uninstall whoever set it. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RegDeleteValue(HKEY_CURRENT_USER, '{#RunKey}', '{#RunValue}');
end;
