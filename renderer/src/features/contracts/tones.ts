/** The badge tone of each lifecycle stage, suspension state and timeline status. */
import type { LifecycleStage } from '../../../../shared/contract/contracts.js';
import type { SuspensionState } from '../../../../shared/contract/suspension.js';
import type { Tone } from '../../components/Bits.js';
import type { TimelineStatus } from './lifecycle.js';

export const STAGE_TONE: Record<LifecycleStage, Tone> = {
  active: 'green',
  expiring: 'amber',
  grace: 'amber',
  suspension_due: 'red',
  suspended: 'red',
  terminated: 'neutral',
};

export const SUSPENSION_TONE: Record<SuspensionState, Tone> = {
  suspending: 'blue',
  suspended: 'red',
  reinstating: 'blue',
  reinstated: 'green',
  interrupted: 'amber',
  failed: 'amber',
};

export const STATUS_TONE: Record<TimelineStatus, Tone> = { done: 'neutral', due: 'red', upcoming: 'blue', held: 'violet', covered: 'green', skipped: 'neutral' };
