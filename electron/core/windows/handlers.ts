import { windowsMethods } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Handlers } from '../handlers.js';

type WindowsMethod = keyof typeof windowsMethods;

/** Placeholder while the windows/notices core is written: every method answers "not yet". */
export const windowsHandlers = Object.fromEntries(
  Object.keys(windowsMethods).map((m) => [
    m,
    () => {
      throw new PuestaError('PRECONDITION_FAILED', `${m} is not implemented yet.`);
    },
  ]),
) as unknown as Handlers<WindowsMethod>;
