import { sideOutputCommand } from '../side-output-list.ts';

/** `lk late`: the events the stream set aside as too late, with how late and where they came from. */
export const lateCommand = sideOutputCommand('late', 'late', 'list the late topic: each too-late event with its event time, the bound it missed, source partition and offset, and input file and line');
