import { sideOutputCommand } from '../side-output-list.ts';

/** `lk dead-letters`: the records the validator refused, with why and where they came from. */
export const deadLettersCommand = sideOutputCommand('dead-letters', 'deadLetter', 'list the dead-letter topic: each refused record with its reason, source partition and offset, and input file and line');
