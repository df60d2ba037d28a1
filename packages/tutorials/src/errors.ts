import { FlowKitError } from '@flowkit/core';

/** A tutorials command cannot do what it was asked: an unknown episode, an unwritable directory. */
export class TutorialError extends FlowKitError {}
