import Foundation

/// Server-rendered pages: every dynamic text goes through `escape`; the layout is one file of plain HTML
/// and CSS (no build step, nothing fetched from the internet), readable from phone width up.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func page(title: String, signedIn: Bool, csrf: String? = nil, body: String) -> String {
        let signOut = signedIn ? """
            <form method="post" action="/console/sign-out" class="inline">
              <input type="hidden" name="csrf" value="\(escape(csrf ?? ""))">
              <button type="submit" class="link">Sign out</button>
            </form>
            """ : ""
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Keyward</title>
            <style>\(style)</style>
            </head>
            <body>
            <header><a href="/console" class="brand">Keyward</a><nav>\(signOut)</nav></header>
            <main id="main">
            <h1>\(escape(title))</h1>
            \(body)
            </main>
            </body>
            </html>
            """
    }

    static let style = """
        :root { font-family: system-ui, sans-serif; color: #1d232a; background: #f6f7f9; }
        body { margin: 0; }
        header { display: flex; justify-content: space-between; align-items: center; padding: .75rem 1.25rem; background: #1d232a; color: #fff; }
        header a, header .link { color: #fff; }
        .brand { font-weight: 700; text-decoration: none; }
        main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
        h1 { font-size: 1.5rem; }
        section { background: #fff; border: 1px solid #d8dde3; border-radius: .5rem; padding: 1rem 1.25rem; margin: 1rem 0; }
        label { display: block; margin: .5rem 0; }
        input[type=text], input[type=password] { width: 100%; max-width: 32rem; padding: .5rem; font: inherit; box-sizing: border-box; }
        button { font: inherit; padding: .5rem 1rem; border-radius: .375rem; border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; cursor: pointer; }
        button.secondary { background: #fff; color: #1d4ed8; }
        button.link { background: none; border: none; padding: 0; text-decoration: underline; }
        button.danger { background: #b91c1c; border-color: #b91c1c; }
        details > summary { cursor: pointer; color: #1d4ed8; margin: .25rem 0; }
        textarea { width: 100%; max-width: 32rem; font: inherit; box-sizing: border-box; }
        select { max-width: 100%; font: inherit; padding: .4rem; }
        button:focus-visible, a:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
        .inline { display: inline; }
        .warning { border-left: 4px solid #d97706; background: #fffbeb; padding: .75rem 1rem; }
        .error { border-left: 4px solid #b91c1c; background: #fef2f2; padding: .75rem 1rem; }
        .ok { border-left: 4px solid #15803d; background: #f0fdf4; padding: .75rem 1rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
        code { font-size: .9em; word-break: break-all; }
        pre { background: #f3f4f6; padding: .75rem; border-radius: .375rem; overflow-x: auto; max-width: 100%; }
        .copyable { margin: .75rem 0; }
        .check-pass td:nth-child(2) { color: #15803d; } .check-fail td:nth-child(2) { color: #b91c1c; } .check-warn td:nth-child(2) { color: #b45309; }
        .ref-ok { color: #15803d; } .ref-stale { color: #b45309; } .ref-out_of_scope, .ref-store_deleted { color: #b91c1c; }
        dialog { max-width: 40rem; border-radius: .5rem; border: 1px solid #d8dde3; }
        dialog::backdrop { background: rgba(0, 0, 0, .4); }
        @media (max-width: 40rem) {
          main { padding: .5rem .75rem 2rem; }
          /* Tables become one block per row: every cell stays readable, nothing scrolls sideways. */
          table, tbody, tr, td { display: block; } thead { display: none; }
          tr { border-bottom: 1px solid #e5e7eb; padding: .4rem 0; } td { border: none; padding: .15rem 0; }
        }
        """

    /// A verification's checks or a connection test's steps: name, result and detail with its hint, under a
    /// heading, styled by the overall outcome ("pass", "warn" or anything else for a failure).
    static func steps(id: String, heading: String, outcome: String, label: String, _ items: [[String: Any]]) -> String {
        let rows = items.map { item in
            let status = item["status"] as? String ?? ""
            let hint = (item["hint"] as? String).map { "<br><small>\(escape($0))</small>" } ?? ""
            return "<tr class=\"check-\(escape(status))\"><td>\(escape(item["name"] as? String ?? ""))</td><td><strong>\(escape(status))</strong></td><td>\(escape(item["detail"] as? String ?? ""))\(hint)</td></tr>"
        }.joined()
        let style = outcome == "pass" ? "ok" : outcome == "warn" ? "warning" : "error"
        return """
            <section id="\(id)" aria-labelledby="\(id)-heading">
            <h2 id="\(id)-heading">\(escape(heading))</h2>
            <div class="\(style)" role="status"><table><thead><tr><th>\(label)</th><th>Result</th><th>Detail</th></tr></thead><tbody>\(rows)</tbody></table></div>
            </section>
            """
    }

    /// The second step of a destructive form: the question, what it breaks, and a button that posts the same
    /// form again with `confirm=yes` (focused, so Enter confirms and Tab reaches Cancel). Needs no script.
    static func confirmation(id: String, question: String, consequence: String, action: String, csrf: String,
                             fields: [(String, String)], button: String, cancel: String) -> String {
        let hidden = fields.map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escape($0.1))\">" }.joined()
        return """
            <section id="\(id)" class="warning" role="alertdialog" aria-labelledby="\(id)-question" aria-describedby="\(id)-consequence">
            <h2 id="\(id)-question">\(escape(question))</h2>
            <p id="\(id)-consequence">\(escape(consequence))</p>
            <form method="post" action="\(escape(action))" class="inline">
              <input type="hidden" name="csrf" value="\(escape(csrf))">\(hidden)<input type="hidden" name="confirm" value="yes">
              <button type="submit" id="\(id)-confirm" class="danger" autofocus>\(escape(button))</button>
            </form>
            <a href="\(escape(cancel))" id="\(id)-cancel">Cancel</a>
            </section>
            """
    }

    /// A JSON value from an API answer as plain text for a table cell (escape it before use).
    static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: "-"
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: "\(value!)"
        }
    }

    /// An API problem as the console shows it: what went wrong and the fix hint.
    static func problem(_ object: [String: Any]) -> String {
        let detail = object["detail"] as? String ?? "The request failed."
        let hint = (object["hint"] as? String).map { "<p>\(escape($0))</p>" } ?? ""
        let code = (object["code"] as? String).map { " <code>\(escape($0))</code>" } ?? ""
        return "<div class=\"error\" role=\"alert\"><p><strong>\(escape(detail))</strong>\(code)</p>\(hint)</div>"
    }
}
