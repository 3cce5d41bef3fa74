; ClinicDesk installer for Windows (Inno Setup 6). Kept in the repo; built on a Windows
; build machine after `pyinstaller --noconfirm packaging\clinicdesk.spec` has produced
; dist\ClinicDesk\ (ClinicDesk.exe for clinicians, clinicdesk-cli.exe for IT scripts):
;     iscc /DAppVersion=0.1.0 packaging\windows\clinicdesk.iss
; Output: dist\ClinicDesk-<version>-windows-x64-setup.exe
;
; Per-machine install (needs administrator rights) into C:\Program Files\ClinicDesk.
; Data (vault, model packs, backups, logs) is kept OUTSIDE Program Files, in
; C:\ProgramData\ClinicDesk\Data by default, shared by the workstation's Windows users.
; The IT policy file is C:\ProgramData\ClinicDesk\ClinicDesk\policy.toml (where ClinicDesk
; looks for the machine-wide policy); setup writes it only if it does not exist yet.
;
; Silent install (software distribution, GPO, Intune, SCCM):
;   ClinicDesk-0.1.0-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
;       [/DIR="D:\Apps\ClinicDesk"]            program folder
;       [/DATADIR="D:\ClinicDeskData"]         data folder written to a new policy file
;       [/TASKS="desktopicon,installmodels"]   tasks; default: installmodels only
;       [/LOG="C:\Windows\Temp\clinicdesk-setup.log"]
;   Silent uninstall (data and policy are kept):
;   "C:\Program Files\ClinicDesk\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Upgrade: run the newer setup the same way; the AppId stays the same, so files are
; replaced in place and the data folder and policy are never touched.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6B7E3D0C-3F0B-4C0E-9E7A-C11D1CDE5C01}
AppName=ClinicDesk
AppVersion={#AppVersion}
AppPublisher=ClinicDesk
DefaultDirName={autopf}\ClinicDesk
DefaultGroupName=ClinicDesk
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=ClinicDesk-{#AppVersion}-windows-x64-setup
Compression=lzma2/normal
SolidCompression=no
UninstallDisplayIcon={app}\ClinicDesk.exe
CloseApplications=yes
SetupLogging=yes

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked
Name: "installmodels"; Description: "Install the default AI model packs (offline, from this installer)"

[Dirs]
; Every Windows user of the workstation may create and change files in the data folder.
Name: "{code:DataDir}"; Permissions: users-modify; Flags: uninsneveruninstall

[Files]
Source: "..\..\dist\ClinicDesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\..\docs\it-guide.md"; DestDir: "{app}\docs"; Flags: ignoreversion skipifsourcedoesntexist
Source: "..\..\docs\policy.md"; DestDir: "{app}\docs"; Flags: ignoreversion skipifsourcedoesntexist

[Icons]
Name: "{group}\ClinicDesk"; Filename: "{app}\ClinicDesk.exe"
Name: "{group}\ClinicDesk self-test"; Filename: "{app}\clinicdesk-cli.exe"; Parameters: "--selftest"
Name: "{commondesktop}\ClinicDesk"; Filename: "{app}\ClinicDesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\clinicdesk-cli.exe"; Parameters: "models install --defaults"; \
  StatusMsg: "Installing the default AI model packs..."; Flags: runhidden waituntilterminated; \
  Tasks: installmodels
Filename: "{app}\ClinicDesk.exe"; Description: "Start ClinicDesk"; \
  Flags: postinstall nowait skipifsilent unchecked

[UninstallDelete]
; Only what the app itself may have left beside the program; never {code:DataDir}.
Type: filesandordirs; Name: "{app}\__pycache__"

[Code]
function PolicyFile(): String;
begin
  Result := ExpandConstant('{commonappdata}\ClinicDesk\ClinicDesk\policy.toml');
end;

function DataDir(Param: String): String;
begin
  Result := ExpandConstant('{param:DATADIR|{commonappdata}\ClinicDesk\Data}');
end;

function TomlPath(Path: String): String;
begin
  Result := Path;
  StringChangeEx(Result, '\', '\\', True);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  // Written before any file is installed (so certainly before [Run] installs the model
  // packs into the data folder it names); an existing policy is IT's and is kept.
  if (CurStep = ssInstall) and not FileExists(PolicyFile()) then
  begin
    ForceDirectories(ExtractFileDir(PolicyFile()));
    SaveStringToFile(PolicyFile(),
      '# ClinicDesk IT policy; every key is described in docs\policy.md' + #13#10 +
      'data_dir = "' + TomlPath(DataDir('')) + '"' + #13#10 +
      'auto_lock_minutes = 10' + #13#10, False);
  end;
end;
