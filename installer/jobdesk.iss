; JobDesk setup program (Inno Setup 6).
;
; Build it with   python installer\build.py   on Windows: it builds the PyInstaller bundle
; (dist\JobDesk\) first, then runs
;   ISCC /DMyAppVersion=<desktop_app\version.py> /DMyAppVersionNumeric=<a.b.c.d> installer\jobdesk.iss
; and the result is dist\JobDesk-<version>-setup.exe.
;
; Paths here are relative to this file's folder (installer\). The names, the icon and the
; bundle folder must match installer\bundle_config.py and jobdesk.spec;
; tests\unit\test_bundle_contents.py checks that they do.
;
; User data is never in Program Files: the company database, its backups, the logs and
; JobDesk.qwc live in the per-user data folder (%LOCALAPPDATA%\JobDesk), which neither an
; upgrade nor an uninstall touches.

#ifndef MyAppVersion
  #error MyAppVersion is not defined: build with "python installer\build.py" (it reads desktop_app\version.py)
#endif
#ifndef MyAppVersionNumeric
  #define MyAppVersionNumeric MyAppVersion
#endif

#define MyAppName "JobDesk"
#define MyAppExeName "JobDesk.exe"
#define MyAppPublisher "JobDesk"
#define MyAppIcon "..\resources\icons\jobdesk.ico"
#define MyBundleDir "..\dist\JobDesk"
#define MyDataDir "{localappdata}\JobDesk"

[Setup]
; AppId identifies JobDesk to Windows across versions: never change it (upgrades find the
; previous installation, its folder and its choices through it).
AppId={{7016F826-5CBB-4CF8-B22F-F6D2ABF451D9}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppVerName={#MyAppName} {#MyAppVersion}
AppPublisher={#MyAppPublisher}
VersionInfoVersion={#MyAppVersionNumeric}
VersionInfoProductVersion={#MyAppVersionNumeric}
VersionInfoProductTextVersion={#MyAppVersion}
VersionInfoDescription={#MyAppName} setup
DefaultDirName={autopf}\{#MyAppName}
DefaultGroupName={#MyAppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
UsePreviousTasks=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist
OutputBaseFilename={#MyAppName}-{#MyAppVersion}-setup
SetupIconFile={#MyAppIcon}
UninstallDisplayIcon={app}\{#MyAppExeName}
UninstallDisplayName={#MyAppName} {#MyAppVersion}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; A running JobDesk holds its files open: close it (Restart Manager) before replacing them.
CloseApplications=force
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "startup"; Description: "Start JobDesk when anyone signs in to this PC, so its QuickBooks Web Connector server is running when the Web Connector polls"; GroupDescription: "QuickBooks:"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the program wholesale, so no module of the old version lingers.
; Only program files: the user's data is not in {app}.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#MyBundleDir}\{#MyAppExeName}"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#MyBundleDir}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; WorkingDir: "{app}"; Comment: "Jobs, invoices and payments, synced to QuickBooks"
Name: "{autoprograms}\{#MyAppName} demo company"; Filename: "{app}\{#MyAppExeName}"; Parameters: "--demo"; WorkingDir: "{app}"; Comment: "A throw-away demo company with a simulated QuickBooks"
Name: "{autodesktop}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; WorkingDir: "{app}"; Tasks: desktopicon
Name: "{autostartup}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; WorkingDir: "{app}"; Tasks: startup

[Run]
; As the user who ran setup (not the elevated account), so the .qwc and the database are theirs.
Filename: "{app}\{#MyAppExeName}"; Parameters: "setup-web-connector"; WorkingDir: "{app}"; Description: "Add JobDesk to the QuickBooks Web Connector (writes and opens JobDesk.qwc)"; Flags: postinstall skipifsilent runasoriginaluser waituntilterminated; Check: WebConnectorInstalled
Filename: "{app}\{#MyAppExeName}"; WorkingDir: "{app}"; Description: "{cm:LaunchProgram,{#MyAppName}}"; Flags: postinstall skipifsilent runasoriginaluser nowait

[UninstallDelete]
; Deliberately empty for user data: the company database, backups, logs and JobDesk.qwc in
; {#MyDataDir} stay. Only what setup put in {app} goes (removed by the uninstaller itself).
Type: dirifempty; Name: "{app}"

[Code]
// The Web Connector registers the .qwc file type; without it there is nothing to open.
function WebConnectorInstalled: Boolean;
begin
  Result := RegKeyExists(HKEY_CLASSES_ROOT, '.qwc');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox('JobDesk was removed. Your company data (database, backups and logs) was kept in ' +
      'your per-user data folder, %LOCALAPPDATA%\JobDesk; installing JobDesk again opens it.',
      mbInformation, MB_OK);
end;
