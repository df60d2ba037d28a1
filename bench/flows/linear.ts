import { FlowSpec, step } from '@flowkit/core';

/** 20 empty steps in a row: what a task costs beyond starting a process. */
export default class LinearFlow extends FlowSpec {
  @step start() { this.next(this.s1); }
  @step s1() { this.next(this.s2); }
  @step s2() { this.next(this.s3); }
  @step s3() { this.next(this.s4); }
  @step s4() { this.next(this.s5); }
  @step s5() { this.next(this.s6); }
  @step s6() { this.next(this.s7); }
  @step s7() { this.next(this.s8); }
  @step s8() { this.next(this.s9); }
  @step s9() { this.next(this.s10); }
  @step s10() { this.next(this.s11); }
  @step s11() { this.next(this.s12); }
  @step s12() { this.next(this.s13); }
  @step s13() { this.next(this.s14); }
  @step s14() { this.next(this.s15); }
  @step s15() { this.next(this.s16); }
  @step s16() { this.next(this.s17); }
  @step s17() { this.next(this.s18); }
  @step s18() { this.next(this.end); }
  @step end() {}
}
