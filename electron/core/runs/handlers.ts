import { runsMethods } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Handlers } from '../handlers.js';

type RunsMethod = keyof typeof runsMethods;

const notYet = () => {
  throw new PuestaError('PRECONDITION_FAILED', 'Guided runs are not available in this build yet.');
};

export const runsHandlers: Handlers<RunsMethod> = Object.fromEntries(Object.keys(runsMethods).map((m) => [m, notYet])) as unknown as Handlers<RunsMethod>;
