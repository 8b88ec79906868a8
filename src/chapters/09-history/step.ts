/** Names chapter 9's measuring steps in the replay records; every part of the chapter takes it from here. */
import { replaySteps } from '../../core/replay';

export const step = replaySteps('history');
