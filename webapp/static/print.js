// The printable documents' "Print" button (no inline handler: the Content-Security-Policy allows only our files).
(function () {
  'use strict';
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
})();
