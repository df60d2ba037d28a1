import { IncludeFile } from '@flowkit/core';
import { assertEquals, assertThrows } from '../assert';
import { FlowTest } from '../flowTest';
import { steps, type Checker, type FlowResult } from '../template';

const UTF = 'UTF Text File \u5e74';

/** IncludeFile reads files at run start into artifacts: text, utf-8, binary, overridden from the environment, absent. */
export default class BasicIncludeTest extends FlowTest {
  override files = { 'reg.txt': 'Regular Text File', 'utf8.txt': UTF, 'override.txt': 'Override Text File' };
  override env = { FLOWKIT_RUN_MYFILE_OVERRIDEN: './override.txt' };
  myfile_txt = IncludeFile('myfile_txt', { default: './reg.txt' });
  myfile_utf8 = IncludeFile('myfile_utf8', { default: 'utf8.txt' });
  myfile_binary = IncludeFile('myfile_binary', { default: 'utf8.txt', encoding: 'binary' });
  myfile_overriden = IncludeFile('myfile_overriden', { default: './reg.txt' });
  absent_file = IncludeFile('absent_file');

  @steps(0, ['all'])
  step_all() {
    assertEquals('Regular Text File', this.myfile_txt);
    assertEquals('UTF Text File \u5e74', this.myfile_utf8);
    assertEquals(Buffer.from('UTF Text File \u5e74'), Buffer.from(this.myfile_binary));
    assertEquals('Override Text File', this.myfile_overriden);
    assertEquals(undefined, this.absent_file);
    assertThrows(() => {
      this.myfile_txt = 'changed';
    }, /read-only/);
  }

  override async checkResults(flow: FlowResult, checker: Checker) {
    for (const step of flow.steps) {
      await this.assertArtifact(checker, step, 'myfile_txt', 'Regular Text File');
      await this.assertArtifact(checker, step, 'myfile_utf8', UTF);
      await this.assertArtifact(checker, step, 'myfile_binary', [...Buffer.from(UTF)]);
      await this.assertArtifact(checker, step, 'myfile_overriden', 'Override Text File');
    }
  }
}
