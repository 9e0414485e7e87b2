/** Small building blocks shared by the views: async actions, error text, focus on arrival. */
import type { ComponentChildren, RefObject } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api.ts';

/**
 * Runs one async action at a time and keeps its error. `run` ignores calls while one is busy, so
 * a double click sends once.
 */
export function useAction(): { run: (action: () => Promise<void>) => Promise<void>; busy: boolean; error: string | null; setError: (e: string | null) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const busyRef = useRef(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const run = useCallback(async (action: () => Promise<void>) => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      if (mounted.current) setError(errorText(e));
    } finally {
      busyRef.current = false;
      if (mounted.current) setBusy(false);
    }
  }, []);
  return { run, busy, error, setError };
}

/** Focuses the element when the view appears, so keyboard and screen-reader users land on it. */
export function useFocusOnMount<T extends HTMLElement>(): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}

/** An error for the user, read out at once by screen readers. */
export function ErrorText({ error }: { error: string | null }) {
  return error === null ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** A view's heading: the focus target when the view opens. */
export function ViewHeading({ children, level = 2 }: { children: ComponentChildren; level?: 1 | 2 }) {
  const ref = useFocusOnMount<HTMLHeadingElement>();
  return level === 1 ? (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  ) : (
    <h2 ref={ref} tabIndex={-1}>
      {children}
    </h2>
  );
}

/** The handler for a form's submit: no page load, then the action. */
export function onSubmit(action: () => unknown): (event: Event) => void {
  return (event) => {
    event.preventDefault();
    void action();
  };
}
