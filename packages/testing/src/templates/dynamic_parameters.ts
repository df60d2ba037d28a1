import { existsSync, writeFileSync } from 'node:fs';
import { Parameter, type ParameterContext } from '@flowkit/core';
import { assertEquals, assertTrue } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

/** A function default runs once, at run start, with the run's context; FLOWKIT_RUN_<NAME> overrides a default. */
function strFunc(context: ParameterContext): string {
  assertEquals('str_param', context.parameterName);
  assertTrue(/^DynamicParameters\w+Flow$/.test(context.flowName), `flow name ${context.flowName}`);
  assertEquals(process.env.FLOWKIT_USER, context.userName);
  if (existsSync('str_func.only_once')) throw new Error('the default function ran more than once');
  writeFileSync('str_func.only_once', 'called');
  return 'does this work?';
}

export default class DynamicParametersTest extends FlowTest {
  override env = { FLOWKIT_RUN_NONDEFAULT_PARAM: 'false' };
  str_param = Parameter('str_param', { default: strFunc });
  json_param = Parameter('json_param', { type: 'json', default: () => ({ a: [8] }) });
  nondefault_param = Parameter('nondefault_param', { type: 'boolean', default: () => true });

  @steps(0, ['singleton'], { required: true })
  step_single() {
    assertEquals('does this work?', this.str_param);
    assertEquals(false, this.nondefault_param);
    assertEquals({ a: [8] }, this.json_param);
  }

  @steps(1, ['all'])
  step_all() {}

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) {
      await this.assertArtifact(checker, step, 'nondefault_param', false);
      await this.assertArtifact(checker, step, 'str_param', 'does this work?');
      await this.assertArtifact(checker, step, 'json_param', { a: [8] });
    }
  }
}
