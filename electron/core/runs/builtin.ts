/**
 * The built-in install, upgrade and rollback checklists. An application uses these until the
 * operator saves an edited copy (checklists.save); checklists.reset puts them back.
 * Layout (Capistrano-style): <base>/releases/<key>, <base>/shared, <base>/current → releases/<key>
 * switched atomically (ln -sfn to a temp name, then mv -T).
 */
import type { ChecklistKind, ChecklistStep, StepCheck } from '../../../shared/contract/runs.js';
import { ChecklistStep as StepSchema } from '../../../shared/contract/runs.js';

export interface AppForChecklist {
  healthCheck: { kind: 'http' | 'command'; from?: 'puesta' | 'host'; target: string; expectStatus: number; timeoutSeconds: number };
}

const PREFLIGHT = `set -e
echo "host $(hostname), user $(id -un)"
for c in tar sha256sum df; do command -v "$c" >/dev/null || { echo "missing command: $c" >&2; exit 1; }; done
d={{app.base}}
while [ ! -d "$d" ]; do d=$(dirname "$d"); done
df -Pk "$d" | { read -r _; read -r _ _ _ free _
  echo "free space under $d: $free KiB"
  [ "$free" -ge 51200 ] || { echo "less than 50 MiB free under $d" >&2; exit 1; }; }`;

/** Pre-flight line: steps run with `sudo -n`, so sudo must not ask for a password (root needs none). */
export const SUDO_PREFLIGHT = `if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then echo "passwordless sudo is needed: steps of this checklist run with sudo -n; allow it for $(id -un) (NOPASSWD in sudoers) and retry." >&2; exit 1; fi
echo "sudo: without a password"`;

/**
 * The pre-flight checks what the rest of the checklist will need, before anything changes:
 * passwordless sudo when a step runs with sudo, curl when a check runs on the host.
 */
export function withPreflightNeeds(steps: ChecklistStep[]): ChecklistStep[] {
  const on = steps.filter((s) => s.enabled && s.key !== 'preflight');
  const needs: string[] = [];
  if (on.some((s) => s.sudo)) needs.push(SUDO_PREFLIGHT);
  if (on.some((s) => s.kind === 'check' && s.check?.kind === 'http' && s.check.from === 'host')) {
    needs.push(`command -v curl >/dev/null || { echo "missing command: curl (the health check runs on this host)" >&2; exit 1; }`);
  }
  return steps.map((s) => (s.key === 'preflight' && s.enabled ? { ...s, command: [s.command, ...needs.filter((n) => !s.command.includes(n))].join('\n') } : s));
}

const LAYOUT = `set -e
mkdir -p {{app.releases}} {{app.shared}}
for d in {{app.sharedDirs}}; do mkdir -p {{app.shared}}/"$d"; done
for f in {{app.sharedFiles}}; do mkdir -p "$(dirname {{app.shared}}/"$f")"; [ -e {{app.shared}}/"$f" ] || : > {{app.shared}}/"$f"; done
if [ "$(id -u)" = 0 ] && id {{app.user}} >/dev/null 2>&1; then chown -R {{app.user}}: {{app.shared}}; fi
ls -la {{app.base}}`;

const UPLOAD = `set -e
printf '%s  %s\\n' {{upload.sha256}} {{upload.path}} | sha256sum -c -
rm -rf {{release.path}}.tmp {{release.path}}
mkdir -p {{release.path}}.tmp
tar -xzf {{upload.path}} -C {{release.path}}.tmp
mv -T {{release.path}}.tmp {{release.path}}
rm -f {{upload.path}}
echo "extracted into" {{release.path}}`;

const LINK_SHARED = `set -e
for d in {{app.sharedDirs}}; do
  rm -rf {{release.path}}/"$d"; case $d in */*) mkdir -p "$(dirname {{release.path}}/"$d")" ;; esac
  ln -sfn {{app.shared}}/"$d" {{release.path}}/"$d"; echo "linked $d"
done
for f in {{app.sharedFiles}}; do
  rm -f {{release.path}}/"$f"; case $f in */*) mkdir -p "$(dirname {{release.path}}/"$f")" ;; esac
  ln -sfn {{app.shared}}/"$f" {{release.path}}/"$f"; echo "linked $f"
done`;

const SWITCH = `set -e
test -d {{release.path}}
ln -sfn {{release.path}} {{app.base}}/.current.tmp
mv -T {{app.base}}/.current.tmp {{app.current}}
echo "current -> $(readlink {{app.current}})"`;

const RESTART = `# The command that (re)starts the application on each host, e.g.
# sudo systemctl restart myapp
:`;

const CLEANUP = `set -e
cd {{app.releases}} || exit 0
cur=$(readlink {{app.current}} || :); cur=\${cur##*/}
n=0
for r in $(ls -1r); do
  n=$((n + 1))
  [ "$n" -le {{app.keep}} ] && continue
  if [ "$r" = "$cur" ] || [ "$r" = {{release.key}} ] || [ "$r" = {{release.previous}} ]; then echo "keeping $r (current or rollback target)"; continue; fi
  echo "removing old release $r"; rm -rf -- "$r"
done`;

const ROLLBACK_PREFLIGHT = `set -e
test -d {{release.path}} || { echo "release" {{release.key}} "is not on this host" >&2; exit 1; }
echo "current: $(readlink {{app.current}} || echo none)"
echo "rolling back to" {{release.path}}`;

/** What each built-in (and provisioning) step changes on a host, in one line: the plan's summary of its script. */
const CHANGES: Record<string, string> = {
  preflight: 'nothing: reads the host (tools, free space, access)',
  layout: 'creates {{app.releases}} and {{app.shared}} (with the shared folders and files)',
  upload: 'adds {{release.path}} (the release archive, unpacked)',
  'link-shared': 'links the shared folders and files into {{release.path}}',
  switch: '{{app.current}} → {{release.path}}',
  restart: 'restarts the application',
  health: 'nothing: checks the application answers',
  cleanup: 'removes releases beyond the newest {{app.keep}} (never current or the rollback target)',
  record: 'nothing on the host: records the release on this computer',
  'provision-user': 'creates the user {{app.user}} if missing',
  'provision-layout': 'creates {{app.base}} (releases, shared, logs, bin) and their owners',
  'provision-logrotate': 'writes the logrotate configuration of {{app.name}}',
  'provision-services': 'writes the service wrappers and units of {{app.name}}',
  'provision-database': 'creates the database role and database if missing',
  'provision-backup': 'writes the backup script and its timer',
  'provision-services-start': 'starts or scales the services to their instance counts',
  'provision-monitoring': 'installs the statistics collector and runs it',
};

/** The plan's one-line summary of a step: built-in steps say what they change, others what kind they are. */
export function changesOf(step: ChecklistStep): string {
  return (
    CHANGES[step.key] ??
    (step.kind === 'manual' ? 'what you do by hand' : step.kind === 'check' ? 'nothing: a check' : step.action === 'upload' ? 'adds the release on the host, then runs its command' : 'runs its command')
  );
}

function healthStep(app: AppForChecklist): ChecklistStep {
  const hc = app.healthCheck;
  const check: StepCheck = {
    kind: hc.kind,
    from: hc.from ?? 'puesta',
    url: hc.kind === 'http' ? hc.target : '',
    expectStatus: hc.expectStatus || 200,
    expectText: '',
    deadlineSeconds: hc.timeoutSeconds || 30,
    intervalSeconds: 1,
  };
  return step({
    key: 'health',
    title: 'Health check',
    kind: 'check',
    enabled: hc.target.trim() !== '',
    command: hc.kind === 'command' ? hc.target : '',
    check,
    switchBackOnFailure: true,
  });
}

function step(s: Partial<ChecklistStep> & Pick<ChecklistStep, 'key' | 'title'>): ChecklistStep {
  return StepSchema.parse(s);
}

export function builtinChecklist(kind: ChecklistKind, app: AppForChecklist): ChecklistStep[] {
  const preflight = step({ key: 'preflight', title: 'Pre-flight: reach each host, tools, disk space', command: PREFLIGHT, timeoutSeconds: 60 });
  const upload = step({ key: 'upload', title: 'Upload the release (sha256 checked) and extract it', action: 'upload', command: UPLOAD, timeoutSeconds: 1800 });
  const link = step({ key: 'link-shared', title: 'Link shared directories and files into the release', command: LINK_SHARED, timeoutSeconds: 120 });
  const sw = step({ key: 'switch', title: 'Switch current to the release (atomic)', command: SWITCH, timeoutSeconds: 60 });
  const restart = step({ key: 'restart', title: '(Re)start the application', command: RESTART, enabled: false, timeoutSeconds: 300 });
  const cleanup = step({ key: 'cleanup', title: 'Remove old releases (keep N, never current or the rollback target)', command: CLEANUP, timeoutSeconds: 600 });
  const record = step({ key: 'record', title: 'Record the release', action: 'record', command: '', timeoutSeconds: 60 });
  switch (kind) {
    case 'install':
      return [
        preflight,
        step({ key: 'layout', title: 'Create the directory layout (releases, shared)', command: LAYOUT, timeoutSeconds: 120 }),
        upload,
        link,
        sw,
        restart,
        healthStep(app),
        record,
      ];
    case 'upgrade':
      return [
        step({ ...preflight, command: PREFLIGHT + '\ntest -d {{app.releases}} || { echo "not installed yet: run the install checklist" >&2; exit 1; }' }),
        upload,
        link,
        sw,
        restart,
        healthStep(app),
        cleanup,
        record,
      ];
    case 'rollback':
      return [
        step({ key: 'preflight', title: 'Pre-flight: the target release is on each host', command: ROLLBACK_PREFLIGHT, timeoutSeconds: 60 }),
        sw,
        restart,
        healthStep(app),
        record,
      ];
  }
}
