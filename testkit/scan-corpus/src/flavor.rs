//! File flavors (languages and config formats): how each writes an assignment, where such
//! files live, and filler lines that read like real code in it.

use super::rng::{Rng, ALNUM, DIGITS, HEX};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Env,
    Yaml,
    Json,
    Python,
    JavaScript,
    TypeScript,
    Go,
    Shell,
    Toml,
    Ini,
    Java,
    Ruby,
    Markdown,
    Rust,
    // Held out: never looked at while tuning rules.
    Php,
    Kotlin,
    Hcl,
    Xml,
}

impl Flavor {
    pub const TUNE: &'static [Flavor] = &[
        Flavor::Env,
        Flavor::Yaml,
        Flavor::Json,
        Flavor::Python,
        Flavor::JavaScript,
        Flavor::TypeScript,
        Flavor::Go,
        Flavor::Shell,
        Flavor::Toml,
        Flavor::Ini,
        Flavor::Java,
        Flavor::Ruby,
        Flavor::Markdown,
        Flavor::Rust,
    ];
    pub const HOLDOUT: &'static [Flavor] = &[Flavor::Php, Flavor::Kotlin, Flavor::Hcl, Flavor::Xml];

    pub fn is_holdout(self) -> bool {
        Flavor::HOLDOUT.contains(&self)
    }

    /// A file name for this flavor.
    pub fn file_name(self, rng: &mut Rng) -> String {
        let pick = |rng: &mut Rng, xs: &[&str]| rng.pick(xs).to_string();
        match self {
            Flavor::Env => pick(rng, &[".env", ".env.production", "prod.env", ".env.local"]),
            Flavor::Yaml => pick(rng, &["config.yaml", "values.yaml", "docker-compose.yml", "application.yml", "deploy.yaml", ".github/workflows/ci.yml"]),
            Flavor::Json => pick(rng, &["config.json", "appsettings.json", "settings.json", "credentials.json", "secrets.dev.json"]),
            Flavor::Python => pick(rng, &["settings.py", "config.py", "client.py", "tasks.py", "app/main.py"]),
            Flavor::JavaScript => pick(rng, &["config.js", "server.js", "src/api.js", "index.js"]),
            Flavor::TypeScript => pick(rng, &["src/config.ts", "src/client.ts", "env.ts", "src/lib/api.ts"]),
            Flavor::Go => pick(rng, &["main.go", "internal/config/config.go", "cmd/server/main.go"]),
            Flavor::Shell => pick(rng, &["deploy.sh", "scripts/setup.sh", "run.sh", ".bashrc"]),
            Flavor::Toml => pick(rng, &["config.toml", "settings.toml", "netlify.toml"]),
            Flavor::Ini => pick(rng, &["config.ini", "setup.cfg", ".aws/credentials", "app.properties"]),
            Flavor::Java => pick(rng, &["src/main/java/com/acme/Config.java", "App.java"]),
            Flavor::Ruby => pick(rng, &["config/initializers/keys.rb", "app.rb", "Rakefile"]),
            Flavor::Markdown => pick(rng, &["README.md", "docs/setup.md", "NOTES.md"]),
            Flavor::Rust => pick(rng, &["src/config.rs", "src/main.rs", "src/client.rs"]),
            Flavor::Php => pick(rng, &["config/services.php", "wp-config.php", "index.php"]),
            Flavor::Kotlin => pick(rng, &["src/main/kotlin/Config.kt", "App.kt", "build.gradle.kts"]),
            Flavor::Hcl => pick(rng, &["main.tf", "variables.tf", "terraform.tfvars", "provider.tf"]),
            Flavor::Xml => pick(rng, &["web.config", "settings.xml", "app.config", "pom.xml"]),
        }
    }

    /// `name` set to the literal `value`, the way this flavor writes it.
    pub fn assign(self, rng: &mut Rng, name: &str, value: &str) -> String {
        let q = if rng.chance(0.5) { '"' } else { '\'' };
        match self {
            Flavor::Env => {
                if rng.chance(0.6) {
                    format!("{name}={value}")
                } else {
                    format!("{name}=\"{value}\"")
                }
            }
            Flavor::Yaml => {
                if rng.chance(0.5) {
                    format!("  {name}: {value}")
                } else {
                    format!("  {name}: \"{value}\"")
                }
            }
            Flavor::Json => format!("  \"{name}\": \"{value}\","),
            Flavor::Python => match rng.below(3) {
                0 => format!("{name} = {q}{value}{q}"),
                1 => format!("    \"{name}\": \"{value}\","),
                _ => format!("os.environ.setdefault(\"{name}\", \"{value}\")"),
            },
            Flavor::JavaScript | Flavor::TypeScript => match rng.below(3) {
                0 => format!("const {name} = {q}{value}{q};"),
                1 => format!("  {name}: {q}{value}{q},"),
                _ => format!("process.env.{name} = process.env.{name} || \"{value}\";"),
            },
            Flavor::Go => {
                if rng.chance(0.5) {
                    format!("\t{name} = \"{value}\"")
                } else {
                    format!("\t{name} := \"{value}\"")
                }
            }
            Flavor::Shell => {
                if rng.chance(0.6) {
                    format!("export {name}=\"{value}\"")
                } else {
                    format!("{name}='{value}'")
                }
            }
            Flavor::Toml => format!("{name} = \"{value}\""),
            Flavor::Ini => format!("{name} = {value}"),
            Flavor::Java => format!("    private static final String {name} = \"{value}\";"),
            Flavor::Ruby => {
                if rng.chance(0.5) {
                    format!("{name} = '{value}'")
                } else {
                    format!("  config.{name} = \"{value}\"")
                }
            }
            Flavor::Markdown => format!("```bash\nexport {name}={value}\n```"),
            Flavor::Rust => format!("const {name}: &str = \"{value}\";"),
            Flavor::Php => {
                if rng.chance(0.5) {
                    format!("    '{name}' => '{value}',")
                } else {
                    format!("define('{name}', '{value}');")
                }
            }
            Flavor::Kotlin => format!("    val {name} = \"{value}\""),
            Flavor::Hcl => format!("  {name} = \"{value}\""),
            Flavor::Xml => {
                if rng.chance(0.5) {
                    format!("  <{name}>{value}</{name}>")
                } else {
                    format!("  <add key=\"{name}\" value=\"{value}\" />")
                }
            }
        }
    }

    /// One line of ordinary content for this flavor. Lines that handle tokens and passwords
    /// without containing any (reads of headers, hashing, env lookups) come up about one line
    /// in 25, as in application code that deals with auth; the rest is plain code.
    pub fn filler_line(self, rng: &mut Rng) -> String {
        let auth_heavy = rng.chance(0.04);
        loop {
            let line = self.any_filler_line(rng);
            if auth_heavy || !is_auth_line(&line) {
                return line;
            }
        }
    }

    fn any_filler_line(self, rng: &mut Rng) -> String {
        const NOUN: &[&str] = &[
            "user", "order", "invoice", "session", "config", "request", "item", "cache", "queue", "worker", "client", "event", "record", "account", "payload",
            "buffer", "index", "handler", "report", "key", "auth", "price", "cart", "product", "message", "channel", "node", "edge", "graph", "page", "layout",
            "image", "table", "column", "row", "schema", "file", "stream", "token", "password", "secret",
        ];
        const VERB: &[&str] =
            &["get", "load", "parse", "build", "send", "fetch", "update", "create", "delete", "render", "validate", "compute", "refresh", "rotate", "check"];
        let n = *rng.pick(NOUN);
        let n2 = *rng.pick(NOUN);
        let v = *rng.pick(VERB);
        let num = rng.range(1, 5000);
        let cap = |s: &str| -> String { s[..1].to_uppercase() + &s[1..] };
        match self {
            Flavor::Python => match rng.below(14) {
                0 => format!("def {v}_{n}(self, {n2}_id, timeout={num}):"),
                1 => format!("    {n} = self.{n2}_repo.{v}({n2}_id)"),
                2 => format!("    if not {n}:\n        raise ValueError(\"{n} not found: %s\" % {n2}_id)"),
                3 => format!("    return {n}.{v}()"),
                4 => format!("from .{n} import {}{}", cap(n), cap(n2)),
                5 => format!("    logger.info(\"{v} {n} took %.2fms\", elapsed)"),
                6 => format!("# {} helpers: {v} the {n} {n2}s", cap(n)),
                7 => "    tokens = tokenizer.encode(text, max_length=512)".to_string(),
                8 => "    if user.check_password(form.password.data):".to_string(),
                9 => "    password_hash = bcrypt.hashpw(raw_password.encode(), bcrypt.gensalt())".to_string(),
                10 => "    token = request.headers.get(\"Authorization\", \"\").removeprefix(\"Bearer \")".to_string(),
                11 => format!("    secret_name = \"{n}-{n2}\""),
                12 => format!("    max_tokens = {num}"),
                _ => String::new(),
            },
            Flavor::JavaScript | Flavor::TypeScript => match rng.below(13) {
                0 => format!("export async function {v}{}({n2}Id) {{", cap(n)),
                1 => format!("  const {n} = await {n2}Service.{v}({n2}Id);"),
                2 => format!("  if (!{n}) throw new Error(`{n} ${{{n2}Id}} not found`);"),
                3 => format!("  return {n}.{v}({num});"),
                4 => format!("import {{ {v}{} }} from './{n2}';", cap(n)),
                5 => "}".to_string(),
                6 => format!("// {v} the {n} before the {n2} expires"),
                7 => "  const token = req.headers.authorization?.split(' ')[1];".to_string(),
                8 => "  const apiKey = process.env.API_KEY;".to_string(),
                9 => format!("  setTimeout(() => {v}{}(), {num});", cap(n)),
                10 => "  if (await bcrypt.compare(password, user.passwordHash)) {".to_string(),
                11 => format!("  {n}.{n2}Count += 1;"),
                _ => String::new(),
            },
            Flavor::Go => match rng.below(10) {
                0 => format!("func (s *{}Service) {}{}(ctx context.Context, id string) error {{", cap(n2), cap(v), cap(n)),
                1 => format!("\t{n}, err := s.repo.{}(ctx, id)", cap(v)),
                2 => "\tif err != nil {\n\t\treturn fmt.Errorf(\"load: %w\", err)\n\t}".to_string(),
                3 => "}".to_string(),
                4 => format!("\t// {v} {n} with a deadline of {num}ms"),
                5 => "\ttoken := r.Header.Get(\"Authorization\")".to_string(),
                6 => "\tpassword := os.Getenv(\"DB_PASSWORD\")".to_string(),
                7 => format!("\t{n}Count := len({n2}s) + {num}"),
                8 => format!("\tlog.Printf(\"{v} %s\", {n}.ID)"),
                _ => String::new(),
            },
            Flavor::Rust => match rng.below(9) {
                0 => format!("pub fn {v}_{n}(&self, id: u64) -> Result<{}, Error> {{", cap(n2)),
                1 => format!("    let {n} = self.{n2}s.get(&id).ok_or(Error::NotFound(id))?;"),
                2 => format!("    Ok({n}.{v}()?)"),
                3 => "}".to_string(),
                4 => format!("/// {} the {n} for `{n2}`.", cap(v)),
                5 => "    let token = std::env::var(\"API_TOKEN\").map_err(|_| Error::MissingToken)?;".to_string(),
                6 => format!("    const MAX_{}: usize = {num};", n.to_uppercase()),
                _ => String::new(),
            },
            Flavor::Java | Flavor::Kotlin => match rng.below(8) {
                0 => format!("    public {} {v}{}(long {n2}Id) {{", cap(n), cap(n)),
                1 => format!("        {} {n} = {n2}Repository.findById({n2}Id).orElseThrow();", cap(n)),
                2 => format!("        return {n}.{v}();"),
                3 => "    }".to_string(),
                4 => "    String password = System.getenv(\"DB_PASSWORD\");".to_string(),
                5 => format!("    // {v} {n} ({num})"),
                6 => format!("    @Value(\"${{app.{n}.{n2}}}\")"),
                _ => String::new(),
            },
            Flavor::Ruby => match rng.below(7) {
                0 => format!("  def {v}_{n}({n2}_id)"),
                1 => format!("    @{n} = {}.find({n2}_id)", cap(n2)),
                2 => "  end".to_string(),
                3 => "    token = ENV.fetch('API_TOKEN')".to_string(),
                4 => format!("  # {v} every {n}"),
                5 => format!("    {n}.update!(count: {num})"),
                _ => String::new(),
            },
            Flavor::Php => match rng.below(6) {
                0 => format!("function {v}_{n}(${n2}_id) {{"),
                1 => format!("    ${n} = ${n2}_repo->{v}(${n2}_id);"),
                2 => "    $password = getenv('DB_PASSWORD');".to_string(),
                3 => "}".to_string(),
                4 => format!("// {v} {n}"),
                _ => String::new(),
            },
            Flavor::Shell => match rng.below(7) {
                0 => format!("echo \"{v} {n}...\""),
                1 => format!("if [ -z \"${{{}_DIR:-}}\" ]; then", n.to_uppercase()),
                2 => "fi".to_string(),
                3 => format!("{v}_{n}() {{ curl -fsS \"$API/{n}s/$1\"; }}"),
                4 => "TOKEN=$(cat /run/secrets/api_token)".to_string(),
                5 => format!("sleep {}", num % 30),
                _ => String::new(),
            },
            Flavor::Yaml => match rng.below(8) {
                0 => format!("{n}:"),
                1 => format!("  {n2}_timeout: {num}"),
                2 => format!("  image: registry.acme.io/{n}-{n2}:1.{}.{}", num % 40, num % 9),
                3 => format!("  - name: {v}-{n}"),
                4 => "      secretKeyRef:\n        name: db-credentials\n        key: password".to_string(),
                5 => format!("  replicas: {}", num % 7 + 1),
                6 => "  token_ttl: 3600".to_string(),
                _ => String::new(),
            },
            Flavor::Json => match rng.below(6) {
                0 => format!("  \"{n}_{n2}\": {num},"),
                1 => format!("  \"{n}\": \"{v}-{n2}\","),
                2 => format!("  \"enable_{n}\": true,"),
                3 => "  \"password_min_length\": 12,".to_string(),
                4 => format!("  \"{n}Url\": \"https://api.acme.io/v2/{n2}s\","),
                _ => format!("  \"id\": \"{}\",", rng.string(HEX, 12)),
            },
            Flavor::Env | Flavor::Ini | Flavor::Toml | Flavor::Hcl => match rng.below(6) {
                0 => format!("{}_{}_TIMEOUT = {num}", n.to_uppercase(), n2.to_uppercase()).replace(" = ", if self == Flavor::Env { "=" } else { " = " }),
                1 => format!("# {v} settings for {n}"),
                2 => format!("{n}_host = \"{n2}.internal.acme.io\"").replace(" = ", if self == Flavor::Env { "=" } else { " = " }),
                3 => format!("LOG_LEVEL{}info", if self == Flavor::Env { "=" } else { " = " }),
                4 => format!("{n}_pool_size{}{}", if self == Flavor::Env { "=" } else { " = " }, num % 64),
                _ => String::new(),
            },
            Flavor::Markdown => match rng.below(6) {
                0 => format!("## {} {}", cap(v), n),
                1 => format!("To {v} the {n}, run `make {v}-{n}` and pass the {n2} id."),
                2 => "Set the token in your environment (never commit it): `export API_TOKEN=...`".to_string(),
                3 => format!("- the {n} is refreshed every {num} seconds"),
                4 => "The password must be at least 12 characters long.".to_string(),
                _ => String::new(),
            },
            Flavor::Xml => match rng.below(5) {
                0 => format!("  <{n}>{num}</{n}>"),
                1 => format!("  <add key=\"{n}Timeout\" value=\"{num}\" />"),
                2 => format!("  <!-- {v} {n} -->"),
                3 => format!("  <dependency><artifactId>{n}-{n2}</artifactId><version>1.{}</version></dependency>", num % 20),
                _ => String::new(),
            },
        }
    }
}

fn is_auth_line(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    ["password", "token", "secret", "api_key", "apikey", "credential", "bearer", "authorization"].iter().any(|w| l.contains(w))
}

/// Random-ish identifiers for negatives and bulk.
pub fn ident(rng: &mut Rng) -> String {
    format!("{}{}", rng.string_between(b"abcdefghijklmnopqrstuvwxyz", 3, 8), rng.string_between(DIGITS, 0, 2))
}

/// A random alphanumeric string (fixtures, ids).
pub fn alnum(rng: &mut Rng, n: usize) -> String {
    rng.string(ALNUM, n)
}
