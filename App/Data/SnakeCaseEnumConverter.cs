using System.Text;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AdminPortal.App.Data;

/// <summary>Stores an enum as its snake_case name (<c>EntraExternalId</c> → <c>entra_external_id</c>), as the seed's text columns do.</summary>
public static class SnakeCaseEnumConverter
{
    public static ValueConverter<TEnum, string> For<TEnum>() where TEnum : struct, Enum =>
        new(value => Names<TEnum>.ToText[value], text => Names<TEnum>.FromText[text]);

    /// <summary>The stored text of a value, for raw SQL and check constraints.</summary>
    public static string ToText<TEnum>(TEnum value) where TEnum : struct, Enum => Names<TEnum>.ToText[value];

    public static string ToSnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    /// <summary>A check constraint that admits only the enum's stored names.</summary>
    public static string CheckConstraintSql<TEnum>(string column) where TEnum : struct, Enum =>
        $"{column} IN ({string.Join(", ", Enum.GetValues<TEnum>().Select(v => $"'{ToText(v)}'"))})";

    private static class Names<TEnum> where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> ToText = Enum.GetValues<TEnum>().ToDictionary(v => v, v => ToSnakeCase(v.ToString()));
        public static readonly Dictionary<string, TEnum> FromText = ToText.ToDictionary(pair => pair.Value, pair => pair.Key);
    }
}
