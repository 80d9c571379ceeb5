// The Segments page's selection, chosen in the browser: a click on a point of the scatter
// or a slice of the pie selects its segment, "Show all segments" clears it. Done here, the
// click is one trip to the server (the charts and the badge, at once), not two.

// A whole number within a database id's range, from a number or digits; null for anything
// else (queries.whole_number does the same on the server, which checks the selection
// again wherever it uses it).
function wholeNumber(value) {
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) {
    value = Number(value.trim());
  }
  const whole = typeof value === "number" && Number.isInteger(value);
  return whole && Math.abs(value) < 2 ** 31 ? value : null;
}

// The segment number a click on a chart carries: its first point's customdata (the
// scatter's is [segment, customer]); null for a click on nothing.
function clickedNumber(click) {
  const points = click && Array.isArray(click.points) ? click.points : [];
  const point = points.length ? points[0] : null;
  const data = point && typeof point === "object" ? point.customdata : undefined;
  return wholeNumber(Array.isArray(data) && data.length ? data[0] : data);
}

window.dash_clientside = Object.assign({}, window.dash_clientside);
window.dash_clientside.basket_segments_segments = Object.assign(
  {},
  window.dash_clientside.basket_segments_segments,
  {
    // Inputs: the scatter's clickData, the pie's clickData, the button's n_clicks.
    select_segment: function () {
      const dc = window.dash_clientside;
      const trigger = ((dc.callback_context || {}).triggered || [])[0] || {};
      if (String(trigger.prop_id || "").endsWith(".n_clicks")) {
        return null;
      }
      const segment = clickedNumber(trigger.value);
      return segment === null ? dc.no_update : segment;
    },
  }
);
