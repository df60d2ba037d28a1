const Sequencer = require('@jest/test-sequencer').default;

/**
 * The conformance files run longest by far: start them first, so the other files fill the second worker
 * beside them instead of leaving one long file to run alone at the end. Jest's own order (slowest known
 * first, else largest file) cannot know that on a fresh machine, where conformance files are small.
 */
const FIRST = ['test/conformance/dev-local', 'test/conformance/s3', 'test/conformance/gcs', 'test/conformance/remote', 'test/conformance/batch', 'test/conformance/kubernetes', 'test/conformance/service', 'test/conformance/step-functions'];

class LongestFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = FIRST.findIndex((prefix) => test.path.includes(prefix));
      return index === -1 ? FIRST.length : index;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}
module.exports = LongestFirstSequencer;
