; NSIS 3 script for RigPilot on Windows (x64): a per-user installer, built on Linux.
;
; installers/build_windows.sh compiles it with Debian's makensis after PyInstaller (under
; Wine) has made the one-folder bundle:
;   makensis -DVERSION=0.1.0 -DBUNDLE=dist/windows/rigpilot -DICON=...rigpilot.ico \
;            -DOUTFILE=dist/rigpilot-0.1.0-windows-x64-setup.exe installers/windows/rigpilot.nsi
;
; Per user, no admin prompt: the program goes to %LOCALAPPDATA%\Programs\RigPilot (where
; per-user installs of VS Code, Discord and the like go), its Start-menu entries and the
; "start at sign-in" value to the user's own profile and HKCU. RigPilot's worker runs as the
; signed-in user, so nothing here needs elevation.
;
; Command line (NSIS's own /S for silent and /D=DIR for the folder also work):
;   setup.exe /S                  silent install, start at sign-in on
;   setup.exe /S /NOAUTOSTART     silent install without the Run value
;   uninstall.exe /S              silent uninstall; your settings and earnings ledger stay
;   uninstall.exe /S /PURGE       ... and %LOCALAPPDATA%\RigPilot (settings, ledger, logs) goes too

!ifndef VERSION
  !error "Pass the version: makensis -DVERSION=X.Y.Z ..."
!endif
!ifndef BUNDLE
  !error "Pass the PyInstaller folder: makensis -DBUNDLE=dist/windows/rigpilot ..."
!endif
!ifndef OUTFILE
  !define OUTFILE "rigpilot-${VERSION}-windows-x64-setup.exe"
!endif

!define APP "RigPilot"
!define APP_EXE "rigpilot.exe"
!define CLI_EXE "rigpilot-cli.exe"
; desktop/autostart.py writes and reads this same Run value; keep the names in step.
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUN_VALUE "RigPilot"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\RigPilot"
; desktop/paths.py: where the worker keeps settings, ledger, token and logs on Windows.
!define DATA_DIR "$LOCALAPPDATA\RigPilot"

!ifndef COMPRESSION
  !define COMPRESSION "lzma"  ; the test stage passes zlib: 4x faster to build, 1.5x larger
!endif
; A 64-bit installer: RigPilot is x64-only, and 64-bit Wine runs it without a 32-bit Wine.
Target amd64-unicode
SetCompressor /SOLID ${COMPRESSION}
RequestExecutionLevel user
ManifestDPIAware true
Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP} ${VERSION}"
!ifdef ICON
  Icon "${ICON}"
  UninstallIcon "${ICON}"
!endif

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "LegalCopyright" "MIT licence"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Open ${APP} now"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; Stop a running worker before its files are replaced or removed: it stops its jobs and
; restores the GPU's power limit on the way out. A missing CLI (first install) is fine.
!macro StopWorker
  IfFileExists "$INSTDIR\${CLI_EXE}" 0 +3
    nsExec::Exec '"$INSTDIR\${CLI_EXE}" worker stop'
    Pop $0
!macroend

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${APP} needs 64-bit Windows 10 or 11." /SD IDOK
    Abort
  ${EndIf}
  SetShellVarContext current
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/NOAUTOSTART" $R1
  ${IfNot} ${Errors}
    SectionSetFlags 1 0  ; untick "Start at sign-in"
  ${EndIf}
FunctionEnd

Section "${APP}" SecApp
  SectionIn RO
  SetShellVarContext current
  !insertmacro StopWorker
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0 \
    SW_SHOWNORMAL "" "Put your idle NVIDIA GPU to paid work, safely"
  ; Shown in Settings > Apps, for this user only.
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "RigPilot developers"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "Start ${APP} in the tray when I sign in" SecAutostart
  ; The same value as the app's own "Start at sign-in" setting (desktop/autostart.py).
  WriteRegStr HKCU "${RUN_KEY}" "${RUN_VALUE}" '"$INSTDIR\${APP_EXE}" --minimized'
SectionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

Section "Uninstall"
  SetShellVarContext current
  !insertmacro StopWorker
  Delete "$SMPROGRAMS\${APP}.lnk"
  ; The app may have set the Run value itself; take it away whoever set it.
  DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  RMDir /r "$INSTDIR"
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    RMDir /r "${DATA_DIR}"
  ${EndIf}
SectionEnd
