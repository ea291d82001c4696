// sbsr: sketch search in the static book (see sbsr/book/websearch.py). No network, no wasm, no workers:
// the data file (window.SBSR_WEBSEARCH) holds the encoder's layer3 tap as a program of convolutions, the
// fixed parts of the method (OBB fraction, affine copies, input size, normalisation) and the gallery index.
// Each step mirrors the Python pipeline it names, so that the ranking is Python's ranking.
(function (root) {
  "use strict";

  // ---- numbers as Python computes them --------------------------------------------------------------
  function rint(x) {  // numpy.rint / Python round(): halves to even
    var r = Math.round(x);
    if (Math.abs(x - Math.trunc(x)) === 0.5) r = 2 * Math.round(x / 2);
    return r;
  }
  function clip8(v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

  // ---- sbsr.retrieval.transforms.fit_to_box (skimage resize: gaussian anti-aliasing, linear zoom) -------
  function gaussianAxis(src, h, w, sigma, axis) {  // scipy.ndimage.gaussian_filter1d, mode "nearest"
    var radius = Math.trunc(4.0 * sigma + 0.5), s2 = sigma * sigma, fw = [], sum = 0, i;
    for (i = -radius; i <= radius; i++) { var v = Math.exp((-0.5 / s2) * (i * i)); fw.push(v); sum += v; }
    for (i = 0; i < fw.length; i++) fw[i] /= sum;
    var out = new Float64Array(h * w), n = axis === 0 ? h : w, m = axis === 0 ? w : h;
    var line = new Float64Array(n + 2 * radius);
    for (var j = 0; j < m; j++) {
      for (i = 0; i < n; i++) line[i + radius] = axis === 0 ? src[i * w + j] : src[j * w + i];
      for (i = 0; i < radius; i++) { line[i] = line[radius]; line[n + radius + i] = line[n + radius - 1]; }
      for (i = 0; i < n; i++) {
        var c = i + radius, t = line[c] * fw[radius];
        for (var jj = -radius; jj < 0; jj++) t += (line[c + jj] + line[c - jj]) * fw[radius + jj];
        if (axis === 0) out[i * w + j] = t; else out[j * w + i] = t;
      }
    }
    return out;
  }

  function zoomLinear(src, h, w, nh, nw) {  // scipy.ndimage.zoom(order=1, mode="nearest", grid_mode=True)
    var zr = h / nh, zc = w / nw, out = new Float64Array(nh * nw);
    function taps(k, z, len) {
      var cc = (k + 0.5) * z - 0.5;
      if (cc < 0) cc = 0; else if (cc > len - 1) cc = len - 1;
      var s = Math.floor(cc), t = cc - s, s1 = s + 1 > len - 1 ? len - 1 : s + 1;
      return [s, s1, 1 - t, t];
    }
    var cols = [];
    for (var j = 0; j < nw; j++) cols.push(taps(j, zc, w));
    for (var i = 0; i < nh; i++) {
      var r = taps(i, zr, h);
      for (j = 0; j < nw; j++) {
        var c = cols[j];
        out[i * nw + j] = src[r[0] * w + c[0]] * r[2] * c[2] + src[r[0] * w + c[1]] * r[2] * c[3]
          + src[r[1] * w + c[0]] * r[3] * c[2] + src[r[1] * w + c[1]] * r[3] * c[3];
      }
    }
    return out;
  }

  function resizeU8(crop, h, w, nh, nw) {  // sbsr.retrieval.transforms._resize (skimage.transform.resize)
    if (nh === h && nw === w) return Uint8Array.from(crop);
    var img = Float64Array.from(crop), lo = Infinity, hi = -Infinity, i;
    for (i = 0; i < img.length; i++) { if (img[i] < lo) lo = img[i]; if (img[i] > hi) hi = img[i]; }
    if (nh < h || nw < w) {  // anti-aliasing when shrinking: sigma = max(0, (factor - 1) / 2) per axis
      var sr = Math.max(0, (h / nh - 1) / 2), sc = Math.max(0, (w / nw - 1) / 2);
      if (sr > 1e-15) img = gaussianAxis(img, h, w, sr, 0);
      if (sc > 1e-15) img = gaussianAxis(img, h, w, sc, 1);
    }
    var z = zoomLinear(img, h, w, nh, nw), out = new Uint8Array(nh * nw);
    for (i = 0; i < z.length; i++) out[i] = clip8(rint(Math.min(hi, Math.max(lo, z[i]))));
    return out;
  }

  function fitToBox(gray, size, box) {  // (size*size) uint8 on white -> framed (size*size) uint8
    var y0 = size, y1 = -1, x0 = size, x1 = -1, x, y;
    for (y = 0; y < size; y++) for (x = 0; x < size; x++) {
      if (Math.abs(gray[y * size + x] - 255) > 8) {
        if (y < y0) y0 = y; if (y > y1) y1 = y; if (x < x0) x0 = x; if (x > x1) x1 = x;
      }
    }
    var canvas = new Uint8Array(size * size).fill(255);
    if (y1 < 0) return canvas;
    var h = y1 - y0 + 1, w = x1 - x0 + 1, crop = new Uint8Array(h * w);
    for (y = 0; y < h; y++) for (x = 0; x < w; x++) crop[y * w + x] = gray[(y + y0) * size + x + x0];
    var scale = rint(box * size) / Math.max(h, w);
    var nh = Math.max(1, rint(h * scale)), nw = Math.max(1, rint(w * scale));
    var obj = resizeU8(crop, h, w, nh, nw);
    var top = Math.floor((size - nh) / 2), left = Math.floor((size - nw) / 2);
    for (y = 0; y < nh; y++) for (x = 0; x < nw; x++) {
      var yy = y + top, xx = x + left;
      if (yy >= 0 && yy < size && xx >= 0 && xx < size) canvas[yy * size + xx] = obj[y * nw + x];
    }
    return canvas;
  }

  // ---- sbsr.retrieval.transforms.affine (skimage warp, bilinear, white fill) ------------------------------
  function warp(img, size, M) {
    var out = new Uint8Array(size * size), affine = M[6] === 0 && M[7] === 0 && M[8] === 1;
    function px(r, c) { return (r < 0 || r >= size || c < 0 || c >= size) ? 255 : img[r * size + c]; }
    for (var r = 0; r < size; r++) for (var c = 0; c < size; c++) {
      var xs = M[0] * c + M[1] * r + M[2], ys = M[3] * c + M[4] * r + M[5];
      if (!affine) { var zz = M[6] * c + M[7] * r + M[8]; xs /= zz; ys /= zz; }
      var minr = Math.floor(ys), minc = Math.floor(xs), maxr = Math.ceil(ys), maxc = Math.ceil(xs);
      var dr = ys - minr, dc = xs - minc;
      var top = (1 - dc) * px(minr, minc) + dc * px(minr, maxc);
      var bottom = (1 - dc) * px(maxr, minc) + dc * px(maxr, maxc);
      out[r * size + c] = clip8(rint((1 - dr) * top + dr * bottom));
    }
    return out;
  }

  // ---- Pillow's bicubic resize of 8-bit images (fixed point, horizontal then vertical pass) ---------------
  var PRECISION_BITS = 22;
  function bicubic(x) {
    var a = -0.5; if (x < 0) x = -x;
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  }
  function coeffs(inSize, outSize) {  // Pillow precompute_coeffs + normalize_coeffs_8bpc
    var scale = inSize / outSize, fscale = Math.max(scale, 1.0), support = 2.0 * fscale;
    var ksize = Math.ceil(support) * 2 + 1, bounds = [], kk = new Float64Array(outSize * ksize);
    for (var xx = 0; xx < outSize; xx++) {
      var center = (xx + 0.5) * scale, ww = 0, ss = 1.0 / fscale;
      var xmin = Math.trunc(center - support + 0.5); if (xmin < 0) xmin = 0;
      var xmax = Math.trunc(center + support + 0.5); if (xmax > inSize) xmax = inSize;
      xmax -= xmin;
      var x, k = [];
      for (x = 0; x < xmax; x++) { var wv = bicubic((x + xmin - center + 0.5) * ss); k.push(wv); ww += wv; }
      for (x = 0; x < xmax; x++) {
        var v = ww !== 0 ? k[x] / ww : k[x];
        kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
      }
      bounds.push(xmin, xmax);
    }
    return { ksize: ksize, bounds: bounds, kk: kk };
  }
  function pilClip8(ss) { return ss >= 1073741824 ? 255 : ss <= 0 ? 0 : Math.floor(ss / 4194304); }
  var coeffCache = {};
  function resizeBicubic(img, size, out) {
    var key = size + ">" + out, C = coeffCache[key] || (coeffCache[key] = coeffs(size, out));
    var tmp = new Uint8Array(size * out), res = new Uint8Array(out * out), y, xx, x, ss, lo, n;
    for (y = 0; y < size; y++) for (xx = 0; xx < out; xx++) {
      lo = C.bounds[2 * xx]; n = C.bounds[2 * xx + 1]; ss = 1 << (PRECISION_BITS - 1);
      for (x = 0; x < n; x++) ss += img[y * size + x + lo] * C.kk[xx * C.ksize + x];
      tmp[y * out + xx] = pilClip8(ss);
    }
    for (var yy = 0; yy < out; yy++) {
      lo = C.bounds[2 * yy]; n = C.bounds[2 * yy + 1];
      for (xx = 0; xx < out; xx++) {
        ss = 1 << (PRECISION_BITS - 1);
        for (y = 0; y < n; y++) ss += tmp[(y + lo) * out + xx] * C.kk[yy * C.ksize + y];
        res[yy * out + xx] = pilClip8(ss);
      }
    }
    return res;
  }

  // ---- the encoder tap: convolutions with folded batch norm ---------------------------------------------
  function conv3x3(inp, C, H, W, op, wts, addTo) {  // stride 1, pad 1: the nine taps fused over a padded plane
    var O = op.cout, Wp = W + 2, Hp = H + 2, P = Hp * Wp, n = H * Wp - 2, HW = H * W, c, o, i, y, x;
    var pad = new Float64Array(C * P);
    for (c = 0; c < C; c++) for (y = 0; y < H; y++) for (x = 0; x < W; x++) pad[c * P + (y + 1) * Wp + x + 1] = inp[c * HW + y * W + x];
    var acc = new Float64Array(H * Wp), out = new Float64Array(O * HW);
    for (o = 0; o < O; o++) {
      acc.fill(0);
      for (c = 0; c < C; c++) {
        var wo = op.w + (o * C + c) * 9, b = c * P;
        var w0 = wts[wo], w1 = wts[wo + 1], w2 = wts[wo + 2], w3 = wts[wo + 3], w4 = wts[wo + 4], w5 = wts[wo + 5],
          w6 = wts[wo + 6], w7 = wts[wo + 7], w8 = wts[wo + 8], r1 = b + Wp, r2 = b + 2 * Wp;
        for (i = 0; i < n; i++) {
          acc[i] += w0 * pad[b + i] + w1 * pad[b + i + 1] + w2 * pad[b + i + 2]
            + w3 * pad[r1 + i] + w4 * pad[r1 + i + 1] + w5 * pad[r1 + i + 2]
            + w6 * pad[r2 + i] + w7 * pad[r2 + i + 1] + w8 * pad[r2 + i + 2];
        }
      }
      var bias = wts[op.b + o], ob = o * HW;
      for (y = 0; y < H; y++) for (x = 0; x < W; x++) {
        var v = acc[y * Wp + x] + bias;
        if (addTo) v += addTo[ob + y * W + x];
        out[ob + y * W + x] = op.relu && v < 0 ? 0 : v;
      }
    }
    return { data: out, C: O, H: H, W: W };
  }

  function conv(inp, C, H, W, op, wts, addTo) {
    if (op.k === 3 && op.stride === 1 && op.pad === 1) return conv3x3(inp, C, H, W, op, wts, addTo);
    var k = op.k, s = op.stride, p = op.pad, O = op.cout;
    var Ho = Math.floor((H + 2 * p - k) / s) + 1, Wo = Math.floor((W + 2 * p - k) / s) + 1, HW = Ho * Wo;
    var out = new Float64Array(O * HW);
    for (var o = 0; o < O; o++) {
      var ob = o * HW, bias = wts[op.b + o], i;
      for (i = 0; i < HW; i++) out[ob + i] = bias;
      for (var c = 0; c < C; c++) {
        var ib = c * H * W;
        for (var ky = 0; ky < k; ky++) {
          var oy0 = Math.max(0, Math.ceil((p - ky) / s)), oy1 = Math.min(Ho, Math.floor((H - 1 + p - ky) / s) + 1);
          for (var kx = 0; kx < k; kx++) {
            var wv = wts[op.w + ((o * C + c) * k + ky) * k + kx];
            if (wv === 0) continue;
            var ox0 = Math.max(0, Math.ceil((p - kx) / s)), ox1 = Math.min(Wo, Math.floor((W - 1 + p - kx) / s) + 1);
            for (var oy = oy0; oy < oy1; oy++) {
              var irow = ib + (oy * s + ky - p) * W + kx - p, orow = ob + oy * Wo;
              if (s === 1) for (var ox = ox0; ox < ox1; ox++) out[orow + ox] += wv * inp[irow + ox];
              else for (ox = ox0; ox < ox1; ox++) out[orow + ox] += wv * inp[irow + ox * s];
            }
          }
        }
      }
    }
    if (addTo) for (i = 0; i < out.length; i++) out[i] += addTo[i];
    if (op.relu) for (i = 0; i < out.length; i++) if (out[i] < 0) out[i] = 0;
    return { data: out, C: O, H: Ho, W: Wo };
  }
  function avgpool(t, k) {
    var Ho = Math.floor(t.H / k), Wo = Math.floor(t.W / k), out = new Float64Array(t.C * Ho * Wo), inv = 1 / (k * k);
    for (var c = 0; c < t.C; c++) for (var y = 0; y < Ho; y++) for (var x = 0; x < Wo; x++) {
      var s = 0;
      for (var dy = 0; dy < k; dy++) for (var dx = 0; dx < k; dx++) s += t.data[(c * t.H + y * k + dy) * t.W + x * k + dx];
      out[(c * Ho + y) * Wo + x] = s * inv;
    }
    return { data: out, C: t.C, H: Ho, W: Wo };
  }
  function runTower(model, x) {
    var reg = { x: x };
    for (var i = 0; i < model.program.length; i++) {
      var op = model.program[i], t = reg[op.src];
      if (op.op === "conv") reg[op.dst] = conv(t.data, t.C, t.H, t.W, op, model.weights, op.add ? reg[op.add].data : null);
      else if (op.op === "avgpool") reg[op.dst] = avgpool(t, op.k);
      else throw new Error("unknown op " + op.op);
    }
    return reg.out.data;
  }
  function normalise(img, S, meta) {  // torch: uint8 -> float32 / 255, (x - mean) / std, gray repeated to RGB
    var f = Math.fround, out = new Float64Array(3 * S * S);
    for (var c = 0; c < 3; c++) {
      var m = f(meta.mean[c]), sd = f(meta.std[c]);
      for (var i = 0; i < S * S; i++) out[c * S * S + i] = f(f(f(img[i] / 255) - m) / sd);
    }
    return { data: out, C: 3, H: S, W: S };
  }

  // ---- the full method: framing, augmented copies, tap, mean, mask; distances -----------------------------
  function decodeB64(s) { var b = atob(s), u = new Uint8Array(b.length); for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return u; }
  function half(h) {
    var e = (h >> 10) & 31, m = h & 1023, s = h & 32768 ? -1 : 1;
    if (e === 0) return s * m * Math.pow(2, -24);
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (1 + m / 1024) * Math.pow(2, e - 15);
  }
  function loadModel(D) {
    var wb = decodeB64(D.weights), kb = decodeB64(D.keep), model = {
      meta: D.meta, program: D.program, weights: new Float32Array(wb.buffer, 0, wb.length / 4),
      keep: new Uint16Array(kb.buffer, 0, kb.length / 2), galleries: {} };
    Object.keys(D.galleries).forEach(function (name) {
      var g = D.galleries[name], fb = decodeB64(g.features), h = new Uint16Array(fb.buffer, 0, fb.length / 2);
      var f = new Float32Array(h.length);
      for (var i = 0; i < h.length; i++) f[i] = half(h[i]);
      model.galleries[name] = { info: g, features: f };
    });
    return model;
  }

  function encode(model, gray) {  // (224*224) uint8 sketch -> masked feature over the kept indices
    var meta = model.meta, size = 224, S = meta.input_size;
    var framed = fitToBox(gray, size, meta.framing_box), sum = null, n = 0;
    meta.augment.forEach(function (M) {
      var copy = M ? warp(framed, size, M) : framed;
      var f = runTower(model, normalise(resizeBicubic(copy, size, S), S, meta));
      if (!sum) sum = new Float64Array(f.length);
      for (var i = 0; i < f.length; i++) sum[i] += f[i];
      n++;
    });
    var q = new Float64Array(model.keep.length);
    for (var j = 0; j < q.length; j++) q[j] = sum[model.keep[j]] / n;
    return { feature: q, framed: framed };
  }

  function rank(model, gray, galleryName, k) {
    var t0 = performance.now(), g = model.galleries[galleryName], info = g.info;
    var enc = encode(model, gray), q = enc.feature, D = q.length, nf = model.meta.n_features;
    var t1 = performance.now(), dist = new Float64Array(info.n_shapes), best = new Int32Array(info.n_shapes);
    for (var s = 0; s < info.n_shapes; s++) {
      var bd = Infinity, bv = 0;
      for (var v = 0; v < info.n_views; v++) {
        var off = (s * info.n_views + v) * D, acc = 0;
        for (var j = 0; j < D; j++) { var d = q[j] - g.features[off + j]; acc += d * d; }
        acc /= nf;
        if (acc < bd) { bd = acc; bv = v; }
      }
      dist[s] = bd; best[s] = bv;
    }
    var order = Array.from(dist.keys()).sort(function (a, b) { return dist[a] - dist[b] || a - b; }).slice(0, k);
    return {
      gallery: galleryName, indices: order, shape_ids: order.map(function (i) { return info.shape_ids[i]; }),
      distances: order.map(function (i) { return dist[i]; }), best_views: order.map(function (i) { return best[i]; }),
      azimuths: order.map(function (i) { return info.azimuths[best[i]]; }), all_distances: Array.from(dist),
      encode_ms: t1 - t0, total_ms: performance.now() - t0, query: Array.from(gray), framed: Array.from(enc.framed),
    };
  }

  // ---- images from the page: canvas pixels and dropped files -> the (224, 224) sketch ---------------------
  function luma(r, g, b) { return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; }  // Pillow "L"
  function median(arr) { var a = Array.from(arr).sort(function (x, y) { return x - y; }); var n = a.length; return n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2; }
  function normaliseGray(gray) {  // sbsr.data.images.normalize_sketch_array: polarity, paper level (square input)
    var med = median(gray), inv;
    if (Math.abs(med - 127.5) > 16) inv = med < 127.5;
    else inv = false;
    var out = Uint8Array.from(gray, function (v) { return inv ? 255 - v : v; });
    var level = median(out);
    if (level < 250 && level > 0) for (var i = 0; i < out.length; i++) { var v = clip8(rint(out[i] * 255 / level)); out[i] = v >= 231 ? 255 : v; }
    return out;
  }
  function inkPixels(gray) { var n = 0; for (var i = 0; i < gray.length; i++) if (gray[i] < 200) n++; return n; }

  // ---- the panel ---------------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (a) { e.setAttribute(a, attrs[a]); });
    if (text) e.textContent = text;
    return e;
  }

  function mount(container, model) {
    var meta = model.meta, k = parseInt(container.getAttribute("data-k") || "5", 10);
    var names = Object.keys(model.galleries);
    container.innerHTML = "";
    var head = el("p", { class: "sbsr-websearch-note" });
    head.textContent = "Encoder " + meta.encoder + " (the book's offline CLIP-style stand-in, not CLIP), tap " + meta.tap +
      ", binary mask " + meta.mask + " (" + meta.n_kept + " of " + meta.n_features + " features); gallery: the " +
      meta.split + " split of " + meta.dataset + " (" + meta.profile + " profile). Method: " + meta.method + ".";
    var row = el("div", { class: "sbsr-websearch-row" });
    var left = el("div", { class: "sbsr-websearch-left" });
    var canvas = el("canvas", { width: "224", height: "224", class: "sbsr-websearch-canvas", "aria-label": "drawing canvas" });
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    var tools = el("div", { class: "sbsr-websearch-tools" });
    var gallerySel = el("select", { class: "sbsr-websearch-gallery", "aria-label": "gallery" });
    names.forEach(function (n) { var o = el("option", { value: n }, model.galleries[n].info.label); gallerySel.appendChild(o); });
    var want = container.getAttribute("data-gallery"); if (want && model.galleries[want]) gallerySel.value = want;
    var undoBtn = el("button", { type: "button", class: "sbsr-websearch-undo" }, "undo");
    var clearBtn = el("button", { type: "button", class: "sbsr-websearch-clear" }, "clear");
    var width = el("input", { type: "range", min: "1", max: "8", step: "0.5", value: "2.5", class: "sbsr-websearch-width", "aria-label": "stroke width" });
    var file = el("input", { type: "file", accept: "image/png,image/jpeg", class: "sbsr-websearch-file" });
    tools.appendChild(gallerySel); tools.appendChild(undoBtn); tools.appendChild(clearBtn);
    tools.appendChild(el("label", {}, " stroke ")); tools.appendChild(width); tools.appendChild(file);
    left.appendChild(canvas); left.appendChild(tools);
    left.appendChild(el("p", { class: "sbsr-websearch-hint" }, "Draw here, or drop a PNG on the canvas (dark strokes on white or light on dark)."));
    var results = el("div", { class: "sbsr-websearch-results", "aria-live": "polite" });
    row.appendChild(left); row.appendChild(results);
    var status = el("p", { class: "sbsr-websearch-status" }, "ready: draw a sketch");
    container.appendChild(head); container.appendChild(row); container.appendChild(status);

    var strokes = [], current = null, base = null;
    function redraw() {
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 224, 224);
      if (base) ctx.putImageData(base, 0, 0);
      ctx.strokeStyle = "#000"; ctx.lineCap = "round"; ctx.lineJoin = "round";
      strokes.forEach(function (s) {
        ctx.lineWidth = s.width; ctx.beginPath(); ctx.moveTo(s.pts[0][0], s.pts[0][1]);
        if (s.pts.length === 1) ctx.lineTo(s.pts[0][0] + 0.01, s.pts[0][1]);
        for (var i = 1; i < s.pts.length; i++) ctx.lineTo(s.pts[i][0], s.pts[i][1]);
        ctx.stroke();
      });
    }
    function canvasGray() {
      var d = ctx.getImageData(0, 0, 224, 224).data, g = new Uint8Array(224 * 224);
      for (var i = 0; i < g.length; i++) g[i] = luma(d[4 * i], d[4 * i + 1], d[4 * i + 2]);
      return g;
    }
    function show(res) {
      results.innerHTML = "";
      var list = el("ol", { class: "sbsr-websearch-list" });
      res.shape_ids.forEach(function (sid, i) {
        var info = model.galleries[res.gallery].info, li = el("li", { class: "sbsr-websearch-hit" });
        var img = el("img", { alt: sid + " at " + res.azimuths[i] + "\u00b0", width: "96", height: "96",
          src: "data:image/png;base64," + info.thumbs[res.indices[i]][res.best_views[i]] });
        li.appendChild(img);
        li.appendChild(el("span", { class: "sbsr-websearch-id" }, sid));
        li.appendChild(el("span", {}, " view " + res.azimuths[i] + "\u00b0, distance " + res.distances[i].toFixed(5)));
        list.appendChild(li);
      });
      results.appendChild(list);
      status.textContent = "top " + res.shape_ids.length + " of " + res.all_distances.length + " shapes (" + res.gallery +
        ") in " + res.total_ms.toFixed(0) + " ms (encoding " + res.encode_ms.toFixed(0) + " ms)";
    }
    function search() {
      var gray = canvasGray();
      if (inkPixels(gray) < 4) { results.innerHTML = ""; status.textContent = "ready: draw a sketch"; api.last = null; return; }
      var res = rank(model, normaliseGray(gray), gallerySel.value, k);
      api.last = res; api.count += 1; show(res);
    }
    function pos(ev) {
      var r = canvas.getBoundingClientRect();
      return [(ev.clientX - r.left) * 224 / r.width, (ev.clientY - r.top) * 224 / r.height];
    }
    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault(); canvas.setPointerCapture && canvas.setPointerCapture(ev.pointerId);
      current = { width: parseFloat(width.value), pts: [pos(ev)] }; strokes.push(current); redraw();
    });
    canvas.addEventListener("pointermove", function (ev) { if (!current) return; current.pts.push(pos(ev)); redraw(); });
    function end() { if (!current) return; current = null; search(); }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    undoBtn.addEventListener("click", function () { strokes.pop(); redraw(); search(); });
    clearBtn.addEventListener("click", function () { strokes = []; base = null; redraw(); search(); });
    gallerySel.addEventListener("change", search);
    function loadFile(f) {
      if (!f) return;
      var reader = new FileReader();
      reader.onload = function () {
        var img = new Image();
        img.onload = function () {
          var side = Math.max(img.width, img.height), off = document.createElement("canvas");
          off.width = img.width; off.height = img.height;
          var octx = off.getContext("2d"); octx.drawImage(img, 0, 0);
          var d = octx.getImageData(0, 0, img.width, img.height).data, g = new Uint8Array(img.width * img.height);
          for (var i = 0; i < g.length; i++) {  // alpha over white, then Pillow's luma
            var a = d[4 * i + 3] / 255, l = luma(d[4 * i], d[4 * i + 1], d[4 * i + 2]);
            g[i] = Math.round(l * a + 255 * (1 - a));
          }
          var flat = normaliseGray(g), sq = document.createElement("canvas"); sq.width = side; sq.height = side;
          var sctx = sq.getContext("2d"), id = sctx.createImageData(img.width, img.height);
          for (i = 0; i < flat.length; i++) { id.data[4 * i] = id.data[4 * i + 1] = id.data[4 * i + 2] = flat[i]; id.data[4 * i + 3] = 255; }
          sctx.fillStyle = "#fff"; sctx.fillRect(0, 0, side, side);
          sctx.putImageData(id, Math.floor((side - img.width) / 2), Math.floor((side - img.height) / 2));
          ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 224, 224); ctx.imageSmoothingQuality = "high";
          ctx.drawImage(sq, 0, 0, 224, 224);
          base = ctx.getImageData(0, 0, 224, 224); strokes = []; redraw(); search();
        };
        img.onerror = function () { status.textContent = f.name + ": not an image the browser can decode"; };
        img.src = reader.result;
      };
      reader.readAsDataURL(f);
    }
    file.addEventListener("change", function () { loadFile(file.files[0]); });
    canvas.addEventListener("dragover", function (ev) { ev.preventDefault(); });
    canvas.addEventListener("drop", function (ev) { ev.preventDefault(); loadFile(ev.dataTransfer.files[0]); });
    redraw();
  }

  var api = { rint: rint, fitToBox: fitToBox, warp: warp, resizeBicubic: resizeBicubic, resizeU8: resizeU8,
    loadModel: loadModel, encode: encode, rank: rank, normaliseGray: normaliseGray, last: null, count: 0, model: null };
  root.sbsrWebsearch = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;  // Node (tests)
  if (typeof document === "undefined" || !root.SBSR_WEBSEARCH) return;
  var t0 = performance.now();
  api.model = loadModel(root.SBSR_WEBSEARCH);
  api.load_ms = performance.now() - t0;
  var style = el("style", {});
  style.textContent = ".sbsr-websearch-row{display:flex;flex-wrap:wrap;gap:1em}.sbsr-websearch-canvas{width:336px;height:336px;" +
    "border:1px solid #888;touch-action:none;cursor:crosshair;background:#fff}.sbsr-websearch-tools{margin:.3em 0}" +
    ".sbsr-websearch-list{display:flex;flex-wrap:wrap;gap:.6em;list-style:none;padding:0}.sbsr-websearch-hit{display:flex;" +
    "flex-direction:column;font-size:.8em;max-width:130px}.sbsr-websearch-hit img{border:1px solid #ccc}";
  document.head.appendChild(style);
  Array.prototype.forEach.call(document.querySelectorAll(".sbsr-websearch"), function (c) { mount(c, api.model); });
  api.ready = true;
})(typeof window !== "undefined" ? window : globalThis);
