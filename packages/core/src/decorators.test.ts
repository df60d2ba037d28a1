import { flowDecoratorsOf, isStepMethod, makeFlowDecorator, makeStepDecorator, step, stepDecoratorsOf } from './decorators';
import { FlowSpec } from './flowspec';

const retry = makeStepDecorator<{ times?: number }>('retry');
const label = makeFlowDecorator<{ name: string }>('label');

describe('decorators (standard TC39 flavour, as this file is compiled)', () => {
  @label({ name: 'outer' })
  class Flow extends FlowSpec {
    @retry({ times: 2 }) @step start() {}
    @step @retry end() {}
    helper() {}
  }

  test('@step marks methods and nothing else', () => {
    expect(isStepMethod(Flow.prototype.start)).toBe(true);
    expect(isStepMethod(Flow.prototype.end)).toBe(true);
    expect(isStepMethod(Flow.prototype.helper)).toBe(false);
  });

  test('step decorators are recorded with attributes, bare or called, in any order', () => {
    expect(stepDecoratorsOf(Flow.prototype.start)).toEqual([{ name: 'retry', attributes: { times: 2 } }]);
    expect(stepDecoratorsOf(Flow.prototype.end)).toEqual([{ name: 'retry', attributes: {} }]);
  });

  test('flow decorators are recorded on the class and inherited', () => {
    class Child extends Flow {}
    expect(flowDecoratorsOf(Flow)).toEqual([{ name: 'label', attributes: { name: 'outer' } }]);
    expect(flowDecoratorsOf(Child)).toEqual([{ name: 'label', attributes: { name: 'outer' } }]);
  });
});

describe('decorators (legacy experimentalDecorators call shape)', () => {
  test('(target, key, descriptor) is accepted by @step and step decorators', () => {
    class Legacy extends FlowSpec {
      start() {}
    }
    const descriptor = Object.getOwnPropertyDescriptor(Legacy.prototype, 'start') as PropertyDescriptor;
    (step as unknown as (t: object, k: string, d: PropertyDescriptor) => void)(Legacy.prototype, 'start', descriptor);
    (retry({ times: 4 }) as unknown as (t: object, k: string, d: PropertyDescriptor) => void)(Legacy.prototype, 'start', descriptor);
    expect(isStepMethod(Legacy.prototype.start)).toBe(true);
    expect(stepDecoratorsOf(Legacy.prototype.start)).toEqual([{ name: 'retry', attributes: { times: 4 } }]);
  });

  test('@step on something that is not a method says how to use it', () => {
    expect(() => (step as unknown as (x: unknown) => void)(42)).toThrow('@step decorates a method');
  });
});
