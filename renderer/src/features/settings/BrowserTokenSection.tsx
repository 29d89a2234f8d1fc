import { useState } from 'react';
import { useApi } from '../../api/context.js';
import { Section } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { useToast } from '../../components/Toasts.js';

/**
 * Browser shell only. The token in the printed address is kept in the data folder, so open tabs
 * survive a restart; rotating it signs every other tab and the old address out at once. This tab
 * gets the new cookie with the answer and carries on; the token itself never reaches the page.
 */
export function BrowserTokenSection() {
  const api = useApi();
  const toast = useToast();
  const [asking, setAsking] = useState(false);
  return (
    <Section title="Browser access">
      <p className="muted">
        The address printed by <code>npm start</code> carries a token kept in the data folder, so open tabs stay signed in when Puesta restarts. If that address was
        shared or seen by someone else, rotate the token.
      </p>
      <button className="btn" onClick={() => setAsking(true)} data-testid="rotate-browser-token">
        Rotate the token…
      </button>
      {asking && (
        <ConfirmDialog
          title="Rotate the browser token?"
          body={
            <p>
              Every other tab and the old address stop working at once. This tab stays signed in; the new address is printed where Puesta runs (the terminal of{' '}
              <code>npm start</code>).
            </p>
          }
          confirmLabel="Rotate the token"
          danger
          onClose={() => setAsking(false)}
          onConfirm={async () => {
            await api.call('settings.rotateBrowserToken', {});
            toast.success('The browser token was rotated: other tabs and the old address are signed out.');
          }}
        />
      )}
    </Section>
  );
}
