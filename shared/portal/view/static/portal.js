/* The customer portal page: opens the link (its token is in the URL fragment, never sent to a server),
   exchanges it for a session kept in sessionStorage, and shows the customer's sites on a map, green where
   serviced in the chosen dates. Plain script, no framework: Leaflet and topojson-client are loaded before it. */
(function () {
  "use strict";

  var SESSION_KEY = "fleetbridge.portal.session";
  var DAY_MS = 24 * 60 * 60 * 1000;
  var GREEN = "#1b7f3b";
  var GREY = "#6b6b6b";
  var page = document.body.dataset;
  var state = { token: null, profile: null, map: null, shapes: null, sites: [] };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function problem(message) {
    $("loading").hidden = true;
    $("app").hidden = true;
    $("problem-text").textContent = message.charAt(0).toUpperCase() + message.slice(1) + ".";
    $("problem").hidden = false;
    document.title = "This link does not work";
  }

  function request(method, path, token) {
    return fetch("portal/" + path, {
      method: method, cache: "no-store", credentials: "omit",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) {
        if (!r.ok) {
          var err = new Error((body && body.error && body.error.message) || "the portal answered " + r.status);
          err.status = r.status;
          throw err;
        }
        return body;
      });
    });
  }

  function api(path) {
    return request("GET", path, state.token).catch(function (err) {
      if (err.status === 401) { sessionStorage.removeItem(SESSION_KEY); problem(err.message); }
      throw err;
    });
  }

  /* The link's token, from the fragment (#link=...): exchanged at once and taken out of the address bar. */
  function openSession() {
    var link = new URLSearchParams(location.hash.slice(1)).get("link");
    if (link) {
      history.replaceState(null, "", location.pathname + location.search);
      return request("POST", "session", link).then(function (s) {
        sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: s.session_token, expires_at: s.expires_at }));
        state.token = s.session_token;
        return s.profile;
      });
    }
    var saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (!saved) { return Promise.reject(new Error("open the portal with the link your service provider sent you")); }
    state.token = saved.token;
    return request("GET", "me", state.token);
  }

  function isoDay(date) { return date.toISOString().slice(0, 10); }

  function when(iso) {
    return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function rangeQuery() {
    var q = new URLSearchParams({ from: $("from").value, to: $("to").value });
    var service = $("service").value.trim();
    if (state.profile.permissions.can_filter_geofence_by_service && service) { q.set("service", service); }
    return q.toString();
  }

  function initMap() {
    var map = L.map("map", { zoomSnap: 0.5, attributionControl: Boolean(page.tileUrl) });
    map.createPane("outline").style.zIndex = 250;  /* under the geofences, whenever it arrives */
    if (page.tileUrl) {
      L.tileLayer(page.tileUrl, { attribution: page.tileAttribution || "", maxZoom: 19 }).addTo(map);
    } else {  /* no tile server configured: the bundled outline of the US states, offline */
      fetch("portal/assets/states-10m.json").then(function (r) { return r.json(); }).then(function (topo) {
        L.geoJSON(topojson.feature(topo, topo.objects.states), {
          pane: "outline", interactive: false,
          style: { color: "#8a969e", weight: 1, fillColor: "#f4f4ef", fillOpacity: 1 }
        }).addTo(map);
      });
    }
    map.setView([39.5, -98.35], 4);
    state.map = map;
    state.shapes = L.featureGroup().addTo(map);
  }

  function shapeOf(site) {
    var style = {
      color: site.serviced ? GREEN : GREY, fillColor: site.serviced ? GREEN : GREY, fillOpacity: 0.35, weight: 2,
      className: "geofence " + (site.serviced ? "serviced" : "idle")
    };
    var shape = site.geofence.kind === "radius"
      ? L.circle([site.lat, site.lng], Object.assign({ radius: site.geofence.radius_m }, style))
      : L.polygon(site.geofence.points.map(function (p) { return [p.lat, p.lng]; }), style);
    shape.bindTooltip(site.name + (site.serviced ? ": serviced" : ": not serviced"));
    shape.on("click", function () { showSite(site.site_id); });
    return shape;
  }

  function showSites() {
    $("summary").textContent = "Loading your sites…";
    return api("sites?" + rangeQuery()).then(function (answer) {
      state.sites = answer.sites;
      state.shapes.clearLayers();
      var list = $("sites");
      list.textContent = "";
      answer.sites.forEach(function (site) {
        shapeOf(site).addTo(state.shapes);
        var button = el("button", { type: "button", "data-site-id": site.site_id,
                                    "class": site.serviced ? "serviced" : "idle" }, [
          el("span", { "class": "dot " + (site.serviced ? "serviced" : "idle"), "aria-hidden": "true" }),
          el("span", { text: site.name }),
          el("span", { "class": "visually-status", text: site.serviced ? " (serviced)" : " (not serviced)" })
        ]);
        button.addEventListener("click", function () { showSite(site.site_id); });
        list.appendChild(el("li", {}, [button]));
      });
      var serviced = answer.sites.filter(function (s) { return s.serviced; }).length;
      $("summary").textContent = answer.sites.length + " sites, " + serviced + " serviced from " + $("from").value
        + " to " + $("to").value + (answer.service ? " (" + answer.service + ")" : "") + ".";
      if (answer.sites.length) { state.map.fitBounds(state.shapes.getBounds(), { padding: [24, 24], maxZoom: 15 }); }
    }).catch(function (err) { if (err.status !== 401) { $("summary").textContent = "Could not load your sites: " + err.message; } });
  }

  function pictures(list, what) {
    return el("div", { "class": "pictures" }, list.map(function (p, n) {
      return el("img", { src: p.url, alt: what + " " + (n + 1), loading: "lazy" });
    }));
  }

  function serviceItem(service) {
    var parts = [el("strong", { text: when(service.completed_at) })];
    if (service.service_name) { parts.push(document.createTextNode(": " + service.service_name)); }
    if (service.job && service.job.title) { parts.push(document.createTextNode(" (job: " + service.job.title + ")")); }
    var item = el("li", { "class": "service" }, parts);
    if (service.pictures && service.pictures.length) {
      item.appendChild(pictures(service.pictures, "Picture of " + (service.service_name || "the service")));
    }
    if (service.service_name) { $("service-names").appendChild(el("option", { value: service.service_name })); }
    return item;
  }

  function showSite(siteId) {
    var detail = $("detail");
    api("sites/" + encodeURIComponent(siteId) + "?" + rangeQuery()).then(function (site) {
      detail.textContent = "";
      var address = site.address ? [site.address.line1, site.address.city, site.address.state, site.address.zip]
        .filter(Boolean).join(", ") : "";
      detail.appendChild(el("h2", { id: "detail-heading", text: site.name }));
      if (address) { detail.appendChild(el("p", { text: address })); }
      detail.appendChild(el("p", { text: site.serviced ? "Serviced from " + $("from").value + " to " + $("to").value + "."
        : "Not serviced from " + $("from").value + " to " + $("to").value + "." }));
      detail.appendChild(el("h3", { text: "Services completed" }));
      detail.appendChild(site.services.length ? el("ul", { "class": "services" }, site.services.map(serviceItem))
        : el("p", { text: "None in these dates." }));
      if (site.vehicle_visits) {  /* absent unless the customer may see them: then no heading either */
        detail.appendChild(el("h3", { text: "Vehicle visits" }));
        detail.appendChild(site.vehicle_visits.length ? el("ul", { "class": "visits" }, site.vehicle_visits.map(function (v) {
          return el("li", { text: v.vehicle.unit_number + " at " + when(v.at) });
        })) : el("p", { text: "None in these dates." }));
      }
      if (site.site_pictures && site.site_pictures.length) {
        detail.appendChild(el("h3", { text: "Pictures of the site" }));
        detail.appendChild(pictures(site.site_pictures, "Picture of " + site.name));
      }
      detail.hidden = false;
      detail.focus();
    }).catch(function (err) { if (err.status !== 401) { $("summary").textContent = "Could not open the site: " + err.message; } });
  }

  function start(profile) {
    state.profile = profile;
    $("title").textContent = "Sites of " + profile.customer_name;
    $("who").textContent = "Signed in as " + profile.name + ". This link works until " + when(profile.link_expires_at) + ".";
    document.title = "Sites of " + profile.customer_name;
    var today = new Date();
    $("to").value = isoDay(today);
    $("from").value = isoDay(new Date(today.getTime() - 29 * DAY_MS));
    $("service-field").hidden = !profile.permissions.can_filter_geofence_by_service;
    $("range").addEventListener("submit", function (event) {
      event.preventDefault();
      $("detail").hidden = true;
      showSites();
    });
    $("loading").hidden = true;
    $("app").hidden = false;
    initMap();
    return showSites();
  }

  openSession().then(start, function (err) { problem(err.message); });
}());
