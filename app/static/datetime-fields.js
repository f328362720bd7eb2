/* Date and date-time fields (admin_views/datetimes.py): a text field with a calendar beside it.
 *
 * Flask-Admin's own set-up of its calendar (daterangepicker 1.3 + moment) rewrote the field on every
 * key typed, replaced a pasted value by "now" and moved the minutes on "Apply". Here the field is
 * the person's: what they type or paste stays as typed (the server reads 2026-11-28 10:00,
 * 2026/11/28 10:00 …), the calendar follows what is typed, and it writes into the field only when
 * the person picks a day or presses its Apply button. Its month and weekday names and buttons come
 * from the page (the JSON block #estate-picker-config, in the user's language).
 *
 * Registered as a Flask-Admin field converter (forms and list filters), and applied by itself on
 * pages without Flask-Admin's form script (step pages, the visit form).
 */
(function ($) {
  'use strict';
  if (!$) { return; }
  var source = document.getElementById('estate-picker-config');   // data, not a script (CSP)
  var config = source ? JSON.parse(source.textContent) : {};
  var SEPARATOR = config.separator || ' to ';
  var ROLES = {
    datepicker: {time: false, range: false, format: 'YYYY-MM-DD'},
    datetimepicker: {time: true, range: false, format: 'YYYY-MM-DD HH:mm'},
    daterangepicker: {time: false, range: true, format: 'YYYY-MM-DD'},
    datetimerangepicker: {time: true, range: true, format: 'YYYY-MM-DD HH:mm:ss'}
  };
  var WIDE = '０１２３４５６７８９：／－．　';
  var NARROW = '0123456789:/-. ';
  var DATE = '(\\d{4})\\s*[-/.年]\\s*(\\d{1,2})\\s*[-/.月]\\s*(\\d{1,2})\\s*日?';
  var DATE_ONLY = new RegExp('^' + DATE + '$');
  var DATE_TIME = new RegExp('^' + DATE + '(?:\\s*T\\s*|\\s*)(\\d{1,2})\\s*[:时點点]\\s*(\\d{1,2})' +
                             '(?:\\s*:\\s*(\\d{1,2}))?\\s*分?$');
  var RANGE = /\s+to\s+|\s*至\s*|\s*~\s*|\s+-\s+|\s*到\s*/;

  function narrow(text) {
    return String(text || '').replace(/[０-９：／－．　]/g, function (c) {
      return NARROW.charAt(WIDE.indexOf(c));
    }).trim();
  }

  /* One typed date or date-time as a moment, or null (the same ways the server reads). */
  function parseOne(text, time) {
    var m = (time ? DATE_TIME : DATE_ONLY).exec(narrow(text));
    if (!m && time) { m = DATE_ONLY.exec(narrow(text)); }   // a day alone: the calendar shows it
    if (!m) { return null; }
    var value = moment([+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)]);
    return value.isValid() ? value : null;
  }

  /* [start, end] of what the field holds, or null. */
  function parseField(text, spec) {
    if (!spec.range) {
      var one = parseOne(text, spec.time);
      return one ? [one, one.clone()] : null;
    }
    var parts = narrow(text).split(RANGE);
    if (parts.length !== 2) { return null; }
    var start = parseOne(parts[0], spec.time), end = parseOne(parts[1], spec.time);
    return start && end && !end.isBefore(start) ? [start, end] : null;
  }

  function setUp($el, role) {
    var spec = ROLES[role];
    if (!spec || !$.fn.daterangepicker) { return false; }
    if ($el.data('estate-picker')) { return true; }
    $el.attr('autocomplete', 'off');
    var format = $el.attr('data-date-format') || spec.format;
    $el.daterangepicker({
      singleDatePicker: !spec.range, timePicker: spec.time, timePicker12Hour: false,
      timePickerIncrement: 1, showDropdowns: true, format: format, separator: SEPARATOR,
      locale: {
        applyLabel: config.applyLabel, cancelLabel: config.cancelLabel, fromLabel: config.fromLabel,
        toLabel: config.toLabel, weekLabel: config.weekLabel, customRangeLabel: config.customRangeLabel,
        daysOfWeek: config.daysOfWeek, monthNames: config.monthNames,
        firstDay: typeof config.firstDay === 'number' ? config.firstDay : 1
      }
    });
    var picker = $el.data('daterangepicker');
    $el.data('estate-picker', true);
    // the picker parsed the field on every key and wrote its own reading back: no more
    $el.off('keyup.daterangepicker');
    // nothing but a pick writes into the field (apply.daterangepicker below)
    picker.updateInputText = function () {};

    function follow() {
      var value = parseField($el.val(), spec);
      if (!value) { return; }
      picker.startDate = value[0];
      picker.endDate = value[1];
      picker.oldStartDate = value[0].clone();
      picker.oldEndDate = value[1].clone();
      picker.updateView();
      picker.updateCalendars();
    }

    function start() {
      // an empty field: the calendar opens on the current minute (written only if picked)
      var now = moment().seconds(0).milliseconds(0);
      if (!spec.time) { now = now.startOf('day'); }
      picker.startDate = now;
      picker.endDate = spec.range && !spec.time ? now.clone().endOf('day') : now.clone();
      picker.oldStartDate = picker.startDate.clone();
      picker.oldEndDate = picker.endDate.clone();
      picker.updateView();
      picker.updateCalendars();
    }

    start();
    follow();
    $el.on('show.daterangepicker', function () { if (!parseField($el.val(), spec)) { start(); } follow(); });
    $el.on('input paste', function () { setTimeout(follow, 0); });
    $el.on('keydown', function (e) { if (e.key === 'Escape') { picker.hide(); } });
    $el.on('apply.daterangepicker', function () {
      var text = spec.range ? picker.startDate.format(format) + SEPARATOR + picker.endDate.format(format)
                            : picker.startDate.format(format);
      if ($el.val() !== text) {
        $el.val(text);
        $el.trigger('input').trigger('change');
      }
    });
    return true;
  }

  window.estateDateFields = {parse: parseField, setUp: setUp};

  var registered = false;
  $(document).on('adminFormReady', function () {
    if (registered || !window.faForm) { return; }
    registered = true;
    window.faForm.addFieldConverter(function ($el, role) { return setUp($el, role); });
  });

  // pages without Flask-Admin's form script: take the fields over once the page is there
  $(function () {
    if (window.faForm) { return; }
    $(':input[data-role]').each(function () {
      var $el = $(this);
      setUp($el, $el.attr('data-role'));
    });
  });
})(window.jQuery);
