import { FlowKitError } from '@flowkit/core/plugin';

/** A tutorials command cannot do what it was asked: an unknown episode, an unwritable directory. */
export class TutorialError extends FlowKitError {}
