import { ParameterError } from './errors';
import { Parameter, defaultParameterValue, isParameterDefinition, parametersOf, parseParameterValue } from './parameter';

describe('Parameter', () => {
  test('infers the type from the default and is found on an instance by field', () => {
    class Holder {
      rate = Parameter('rate', { default: 0.5 });
      on = Parameter('on', { default: true });
      cfg = Parameter('cfg', { type: 'json', default: { a: 1 } });
      name = Parameter('name', { help: 'who' });
      plain = 3;
    }
    const found = parametersOf(new Holder());
    expect([...found.keys()]).toEqual(['rate', 'on', 'cfg', 'name']);
    expect(found.get('rate')).toMatchObject({ name: 'rate', type: 'number', default: 0.5, required: false });
    expect(found.get('on')?.type).toBe('boolean');
    expect(found.get('cfg')?.type).toBe('json');
    expect(found.get('name')).toMatchObject({ type: 'string', help: 'who' });
    expect(isParameterDefinition({ name: 'x', type: 'string', required: false })).toBe(false);
  });

  test('refuses names that cannot be options', () => {
    expect(() => Parameter('bad name', {})).toThrow(ParameterError);
    expect(() => Parameter('-x', {})).toThrow("Parameter name '-x' is not valid.");
  });

  test('parses command-line text by type with errors that name the parameter', () => {
    const num = Parameter('n', { type: 'number' }) as unknown as Parameters<typeof parseParameterValue>[0];
    expect(parseParameterValue(num, '1e3')).toBe(1000);
    expect(() => parseParameterValue(num, 'abc')).toThrow("Parameter 'n' expects a number, got 'abc'.");
    expect(() => parseParameterValue(num, '')).toThrow(ParameterError);
    const flag = Parameter('f', { type: 'boolean' }) as unknown as Parameters<typeof parseParameterValue>[0];
    expect(parseParameterValue(flag, 'YES')).toBe(true);
    expect(parseParameterValue(flag, '0')).toBe(false);
    expect(() => parseParameterValue(flag, 'maybe')).toThrow("Parameter 'f' expects a boolean");
    const json = Parameter('j', { type: 'json' }) as unknown as Parameters<typeof parseParameterValue>[0];
    expect(parseParameterValue(json, '{"a":[1]}')).toEqual({ a: [1] });
    expect(() => parseParameterValue(json, '{a')).toThrow("Parameter 'j' expects JSON, got '{a'.");
  });

  test('defaults: functions are called with the run context, FLOWKIT_RUN_<NAME> wins, required without value refuses', () => {
    const context = { flowName: 'F', userName: 'ann' };
    const computed = Parameter('max-rows', { default: (c) => `${c.parameterName} of ${c.flowName} for ${c.userName}` }) as unknown as Parameters<typeof defaultParameterValue>[0];
    expect(defaultParameterValue(computed, context, {})).toBe('max-rows of F for ann');
    expect(defaultParameterValue(computed, context, { FLOWKIT_RUN_MAX_ROWS: 'from env' })).toBe('from env');
    const flag = Parameter('flag', { default: true }) as unknown as Parameters<typeof defaultParameterValue>[0];
    expect(defaultParameterValue(flag, context, { FLOWKIT_RUN_FLAG: 'no' })).toBe(false);
    expect(() => defaultParameterValue(flag, context, { FLOWKIT_RUN_FLAG: 'maybe' })).toThrow("Parameter 'flag' expects a boolean");
    const required = Parameter('r', { required: true }) as unknown as Parameters<typeof defaultParameterValue>[0];
    expect(() => defaultParameterValue(required, context, {})).toThrow("Parameter 'r' is required.");
  });
});
