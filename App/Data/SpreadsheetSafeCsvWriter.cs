using System.Text;
using CsvHelper;

namespace AdminPortal.App.Data;

/// <summary>
/// The CSV writer of every export. Tenants write the names, emails and titles that end up in these files, and a
/// spreadsheet runs a cell that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or carriage return as a formula
/// (<c>=HYPERLINK(…)</c>, <c>=cmd|' /C calc'!A0</c>) on the machine of the admin who opens it. So, following OWASP's
/// "CSV Injection" guidance:
/// <list type="bullet">
/// <item>a cell that starts with one of those characters gets a single quote in front, and is quoted (CsvHelper's
/// <see cref="CsvInjection.Escape"/>);</item>
/// <item>the same character right after a quote, a separator (<c>,</c> <c>;</c> <c>|</c> tab) or a line break inside a
/// cell gets a single quote in front too, and the cell is quoted: a spreadsheet that splits on another separator, or
/// ignores quotes, would otherwise start a new cell there with a formula;</item>
/// <item>quotes inside cells are doubled (RFC 4180, as always).</item>
/// </list>
/// Only the files change: the portal shows the stored text as it is.
/// </summary>
public sealed class SpreadsheetSafeCsvWriter : IAsyncDisposable
{
    /// <summary>The characters OWASP lists as starting a formula.</summary>
    public const string FormulaCharacters = "=+-@\t\r";

    /// <summary>Characters after which a spreadsheet may start a new cell or line.</summary>
    private const string CellBoundaries = "\",;|\t\r\n";

    private const char Neutraliser = '\'';

    private static readonly CsvWriterOptions Options = new()
    {
        Injection = CsvInjection.Escape,
        InjectionCharacters = FormulaCharacters,
        InjectionEscape = Neutraliser,
        ShouldQuote = (field, _, _, _) => ContainsNeutralisedFormula(field),
    };

    private readonly StreamWriter writer;
    private readonly CsvWriter csv;

    public SpreadsheetSafeCsvWriter(Stream output)
    {
        writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
        csv = CsvWriter.Create(writer, Options, leaveOpen: true);
    }

    public ValueTask WriteRecordAsync(string?[] cells, CancellationToken cancellationToken)
    {
        var neutralised = new string?[cells.Length];
        for (int i = 0; i < cells.Length; i++)
        {
            neutralised[i] = NeutraliseInside(cells[i]);
        }

        return csv.WriteRecordAsync(neutralised, cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => csv.FlushAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await csv.DisposeAsync();
        await writer.DisposeAsync();
    }

    /// <summary>
    /// Puts a single quote before every formula character that follows a cell boundary inside the value. The first
    /// character is CsvHelper's (<see cref="CsvInjection.Escape"/>), so it is left alone here.
    /// </summary>
    public static string? NeutraliseInside(string? value)
    {
        if (value is null || value.Length < 2 || value.AsSpan(1).IndexOfAny(FormulaCharacters) < 0)
        {
            return value;
        }

        StringBuilder? result = null;
        for (int i = 1; i < value.Length; i++)
        {
            if (FormulaCharacters.Contains(value[i]) && CellBoundaries.Contains(value[i - 1]))
            {
                result ??= new StringBuilder(value, 0, i, value.Length + 8);
                result.Append(Neutraliser);
            }

            result?.Append(value[i]);
        }

        return result?.ToString() ?? value;
    }

    /// <summary>Whether a cell holds a neutralised formula (a quote before a formula character): such a cell is quoted.</summary>
    private static bool ContainsNeutralisedFormula(ReadOnlySpan<char> field)
    {
        for (int i = 1; i < field.Length; i++)
        {
            if (field[i - 1] == Neutraliser && FormulaCharacters.Contains(field[i]))
            {
                return true;
            }
        }

        return false;
    }
}
