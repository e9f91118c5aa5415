/**
 * How many sessions (each one a sandbox) serve holds at once: in all, and per subject. A slot
 * is taken before anything is created and given back once the sandbox is gone, so a refusal
 * creates nothing and the count never undercounts what runs.
 */
export interface LimitConfig {
  max: number;
  perSubject: number;
}

export type Reservation = { ok: true; release(): void } | { ok: false; status: 503 | 429; message: string };

export class SessionLimits {
  private total = 0;
  private readonly bySubject = new Map<string, number>();

  constructor(private readonly config: LimitConfig) {}

  /** Takes a slot for `subject`, or says which limit is reached. */
  reserve(subject: string): Reservation {
    const held = this.bySubject.get(subject) ?? 0;
    if (this.total >= this.config.max) return { ok: false, status: 503, message: `serve holds its maximum of ${this.config.max} sessions (serve.sessions.max); try again when one ends` };
    if (held >= this.config.perSubject) return { ok: false, status: 429, message: `this subject holds its maximum of ${this.config.perSubject} sessions (serve.sessions.perSubject); end one first` };
    this.total += 1;
    this.bySubject.set(subject, held + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.bySubject.get(subject) ?? 1) - 1;
        if (left > 0) this.bySubject.set(subject, left);
        else this.bySubject.delete(subject);
      },
    };
  }

  /** Sessions held now. */
  get size(): number {
    return this.total;
  }
}
