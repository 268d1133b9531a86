// Applies the stored theme (else the system's) before the first paint.
(function () {
  var theme = null;
  try {
    theme = localStorage.getItem('doppel.theme');
  } catch (e) {
    /* no storage */
  }
  if (theme !== 'dark' && theme !== 'light') theme = window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = theme;
})();
