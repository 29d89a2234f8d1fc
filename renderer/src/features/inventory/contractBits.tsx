import { Badge, type Tone } from '../../components/Bits.js';
import { relDays } from '../../lib/format.js';

const STATE_TONE: Record<string, Tone> = { active: 'green', grace: 'amber', suspended: 'red', terminated: 'neutral' };

export function ContractStateBadge({ state }: { state: string }) {
  return <Badge tone={STATE_TONE[state] ?? 'neutral'}>{state}</Badge>;
}

/** Days to expiry: amber within 30 days, red once past. Terminated contracts show nothing. */
export function ExpiryBadge({ days, state }: { days: number; state: string }) {
  if (state === 'terminated') return <span className="muted small">ended</span>;
  const tone: Tone = days < 0 ? 'red' : days <= 30 ? 'amber' : 'neutral';
  const text = days < 0 ? `expired ${relDays(days)}` : `ends ${relDays(days)}`;
  return (
    <Badge tone={tone} title={`${days} days`}>
      {text}
    </Badge>
  );
}
