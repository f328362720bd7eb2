/* The resident's signature drawn on the sign-off page: strokes on a canvas, posted as a PNG data
 * URL in the form's hidden field #signature (empty until something is drawn). */
(function () {
  'use strict';
  function setUp() {
    var canvas = document.getElementById('signature-pad');
    var field = document.getElementById('signature');
    if (!canvas || !field) { return; }
    var context = canvas.getContext('2d');
    var drawing = false, drawn = false, last = null;

    function fit() {
      var keep = drawn ? canvas.toDataURL('image/png') : null;
      canvas.width = canvas.clientWidth || 600;
      context.lineWidth = 2.5;
      context.lineCap = 'round';
      context.lineJoin = 'round';
      context.strokeStyle = '#111';
      if (keep) {
        var image = new Image();
        image.onload = function () { context.drawImage(image, 0, 0); };
        image.src = keep;
      }
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {x: (event.clientX - box.left) * canvas.width / box.width,
              y: (event.clientY - box.top) * canvas.height / box.height};
    }

    canvas.addEventListener('pointerdown', function (event) {
      drawing = true;
      last = point(event);
      canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    canvas.addEventListener('pointermove', function (event) {
      if (!drawing) { return; }
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
      drawn = true;
      event.preventDefault();
    });
    function stop() {
      if (!drawing) { return; }
      drawing = false;
      if (drawn) { field.value = canvas.toDataURL('image/png'); }
    }
    canvas.addEventListener('pointerup', stop);
    canvas.addEventListener('pointercancel', stop);
    document.getElementById('signature-clear').addEventListener('click', function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      field.value = '';
    });
    fit();
    if (field.value) {            // the form came back (a field to correct): show what was signed
      var image = new Image();
      image.onload = function () { context.drawImage(image, 0, 0); drawn = true; };
      image.src = field.value;
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', setUp);
  } else {
    setUp();
  }
})();
