/** Entry point: take the token from the link, then start the app. */
import { render } from 'preact';
import { createApi } from './api.ts';
import { App, NoToken } from './app.tsx';
import './base.css';
import './views.css';
import { takeToken } from './token.ts';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
const token = takeToken();
render(token === null ? <NoToken refused={false} /> : <App api={createApi(token)} />, root);

// A new link pasted into this tab (after `samizdat ui` restarted) only changes the fragment, which
// does not load the page again: start over with its token.
window.addEventListener('hashchange', () => {
  if (new URLSearchParams(location.hash.slice(1)).has('token')) location.reload();
});
