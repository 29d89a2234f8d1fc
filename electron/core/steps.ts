/**
 * The step kinds of guided runs, in the order their hooks apply: the runs' own (upload, check,
 * record, the switch/restart the health gate replays), then those of other areas. A new kind of
 * step is written in its own folder and added here — the runs engine is not edited.
 */
import { dbpatchStepKind } from './dbpatch/step-kind.js';
import { metricsStepKind } from './metrics/step-kind.js';
import { provisionStepKind } from './provision/step-kind.js';
import { proxyStepKind } from './proxy/step-kind.js';
import { checkStep } from './runs/checks.js';
import { gateSteps } from './runs/health-gate.js';
import { recordStep } from './runs/releases.js';
import { StepKinds, type StepKind } from './runs/step-kinds.js';
import { uploadStep } from './runs/upload.js';
import { suspensionStepKind } from './suspension/step-kind.js';

export const STEP_KINDS: readonly StepKind[] = [uploadStep, checkStep, recordStep, gateSteps, provisionStepKind, proxyStepKind, dbpatchStepKind, metricsStepKind, suspensionStepKind];

export const stepKinds = (): StepKinds => new StepKinds(STEP_KINDS);
