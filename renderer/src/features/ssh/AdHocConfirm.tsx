/**
 * The guard before an ad-hoc command on servers whose environment asks for a typed confirmation
 * (the environment's "confirm runs"), as a run's start dialog asks: type each environment's name.
 */
import { useState } from 'react';
import { EnvTag } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';

export interface GuardedEnv {
  name: string;
  colour: string;
  servers: string[];
}

export function AdHocConfirm({ envs, command, onConfirm, onClose }: { envs: GuardedEnv[]; command: string; onConfirm: (typed: string[]) => void; onClose: () => void }) {
  const [typed, setTyped] = useState<Record<string, string>>({});
  const ok = envs.every((e) => typed[e.name] === e.name);
  return (
    <Dialog
      title={`Run this command on ${envs.map((e) => e.name).join(' and ')}?`}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} danger disabled={!ok} onConfirm={() => onConfirm(envs.map((e) => typed[e.name] ?? ''))} testId="adhoc-confirm">
          Run
        </ConfirmButtons>
      }
    >
      <div className="confirm-body">
        <pre className="pssh-confirm-cmd">{command}</pre>
        {envs.map((e) => (
          <div key={e.name} className={'field typed-confirm' + (typed[e.name] && typed[e.name] !== e.name ? ' has-error' : '')}>
            <label htmlFor={`adhoc-typed-${e.name}`}>
              <EnvTag name={e.name} colour={e.colour} /> asks for a confirmation ({e.servers.join(', ')}): type <strong>{e.name}</strong> to run
            </label>
            <input id={`adhoc-typed-${e.name}`} autoComplete="off" value={typed[e.name] ?? ''} onChange={(ev) => setTyped({ ...typed, [e.name]: ev.target.value })} data-testid="adhoc-typed" />
          </div>
        ))}
      </div>
    </Dialog>
  );
}
