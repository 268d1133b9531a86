/** The top bar: name, live status with pause, theme toggle, and forgetting the admin token. */
import { html } from '../html.js';
import { useEffect, useState } from 'preact/hooks';
import { time } from '../format.js';

const THEME_KEY = 'doppel.theme';

/** The theme in use: stored choice, else the system's. */
function currentTheme() {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** @param {'light' | 'dark'} theme @param {boolean} persist */
function applyTheme(theme, persist) {
  document.documentElement.dataset.theme = theme;
  if (persist) {
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      /* not persisted */
    }
  }
}

function ThemeToggle() {
  const [theme, setTheme] = useState(currentTheme);
  useEffect(() => {
    // Follow the system until the user picks a theme.
    const mq = matchMedia('(prefers-color-scheme: dark)');
    const follow = () => {
      let stored = null;
      try {
        stored = localStorage.getItem(THEME_KEY);
      } catch {
        /* none */
      }
      if (!stored) {
        applyTheme(mq.matches ? 'dark' : 'light', false);
        setTheme(currentTheme());
      }
    };
    mq.addEventListener('change', follow);
    return () => mq.removeEventListener('change', follow);
  }, []);
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    applyTheme(next, true);
    setTheme(next);
  };
  return html`<button type="button" class="ghost" aria-pressed=${theme === 'dark' ? 'true' : 'false'} onClick=${toggle}>
    <span aria-hidden="true">${theme === 'dark' ? '☾' : '☀'}</span> Dark theme
  </button>`;
}

/**
 * @param {{ updatedAt: number, paused: boolean, hidden: boolean, failing: boolean, onPause: () => void, hasToken: boolean, onForget: () => void }} props
 */
export function Header({ updatedAt, paused, hidden, failing, onPause, hasToken, onForget }) {
  const state = failing ? 'Cannot reach the API, retrying' : paused ? 'Paused' : hidden ? 'Paused while hidden' : 'Live';
  return html`<header class="top">
    <div class="bar">
      <a class="brand" href="#/"><span class="logo" aria-hidden="true">◐</span> doppel <span class="muted">shadow report</span></a>
      <div class="tools">
        <span class=${`live ${failing ? 'tone-bad' : paused || hidden ? 'tone-quiet' : 'tone-good'}`}>
          <span class="dot" aria-hidden="true"></span>${state}${updatedAt ? html`<span class="small muted"> · updated ${time(updatedAt)}</span>` : null}
        </span>
        <button type="button" class="ghost" aria-pressed=${paused ? 'true' : 'false'} onClick=${onPause}>Pause updates</button>
        <${ThemeToggle} />
        ${hasToken ? html`<button type="button" class="ghost" onClick=${onForget}>Forget token</button>` : null}
      </div>
    </div>
  </header>`;
}
