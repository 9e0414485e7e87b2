/**
 * Contact verification: both sides see the same safety code (60 digits in 12 groups of 5, from
 * both identity keys). The user compares it with the contact, in person or over a channel they
 * trust, and types the code the contact reads out; the server checks it and marks the contact
 * verified.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, errorText, type Api } from './api.ts';
import { shortId } from './format.ts';
import type { SafetyCode } from './model.ts';
import { ErrorText, onSubmit, useAction, ViewHeading } from './ui.tsx';

export function VerifyView({ api, accountId, name, onBack, onChanged }: { api: Api; accountId: string; name: string | null; onBack: () => void; onChanged: () => void }) {
  const display = name ?? shortId(accountId);
  const [safety, setSafety] = useState<SafetyCode | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [verified, setVerified] = useState(false);
  const { run, busy, error, setError } = useAction();

  useEffect(() => {
    api.safetyCode(accountId).then(
      (s) => {
        setSafety(s);
        setVerified(s.verified);
      },
      (e: unknown) => setLoadError(errorText(e)),
    );
  }, [api, accountId]);

  const submit = () => {
    // The 60 digits (any spacing), or the contact's samizdat: link (from their QR code).
    const link = typed.trim();
    const digits = typed.replace(/\D/g, '');
    const isLink = /^samizdat:/i.test(link);
    if (!isLink && digits.length !== 60) return setError(`A safety code has 60 digits; you typed ${digits.length}.`);
    return run(async () => {
      try {
        await api.verify(accountId, isLink ? link : digits.replace(/(\d{5})(?=\d)/g, '$1 '));
      } catch (e) {
        if (e instanceof ApiError && e.code === 'VERIFICATION_FAILED') {
          throw new ApiError(e.status, e.code, `The codes do not match. Do not trust this conversation until you find out why: check that you are talking to ${display}, and compare again.`);
        }
        throw e;
      }
      setVerified(true);
      setTyped('');
      onChanged();
    });
  };

  const groups = safety?.code.trim().split(/\s+/) ?? [];
  return (
    <section class="verify">
      <button type="button" class="back" onClick={onBack}>
        <span aria-hidden="true">← </span>Back
      </button>
      <ViewHeading>
        Verify <bdi>{display}</bdi>
      </ViewHeading>
      <ErrorText error={loadError} />
      {safety === null ? null : (
        <>
          <p class="verify-state" role="status" data-testid="verify-state">
            {verified ? `${display} is verified.` : `${display} is not verified.`}
          </p>
          {safety.keyChanged ? (
            <p class="warning" role="alert">
              <bdi>{display}</bdi>'s keys have changed since you verified them: a new device, or someone in between. Compare the code again.
            </p>
          ) : null}
          <p>
            Compare this safety code with the one on <bdi>{display}</bdi>'s screen, in person or on a call where you know their voice. The same code means nobody is in between.
          </p>
          <h3 id="safety-code-heading">Safety code</h3>
          <p class="safety-code" data-testid="safety-code" aria-labelledby="safety-code-heading">
            {groups.map((g, i) => (
              <span key={i}>{`${g} `}</span>
            ))}
          </p>
          <form onSubmit={onSubmit(submit)}>
            <label for="peer-code">The code {display} reads to you</label>
            <p class="hint" id="peer-code-hint">
              60 digits, spaces as you like; or paste their samizdat: link.
            </p>
            <input id="peer-code" aria-describedby="peer-code-hint" inputMode="numeric" autocomplete="off" dir="ltr" placeholder="12345 67890 …" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
            <div class="actions">
              <button type="submit" class="primary" disabled={busy}>
                Mark as verified
              </button>
            </div>
          </form>
          <ErrorText error={error} />
        </>
      )}
    </section>
  );
}
