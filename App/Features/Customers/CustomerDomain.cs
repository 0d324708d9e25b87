using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.Customers;

/// <summary>
/// An email domain of a customer, for home-realm discovery: a person who types an email at a verified domain is sent
/// to that customer's identity providers. A domain belongs to at most one customer across the platform.
/// </summary>
public class CustomerDomain : IHasId, ICustomerOwned, IVersioned, IHasTimestamps
{
    public const int MaxDomainLength = 253;

    public long Id { get; set; }
    public long CustomerId { get; set; }
    public Customer? Customer { get; set; }
    /// <summary>Lower case, IDN in punycode (ASCII), no trailing dot: <see cref="DomainNames.TryNormalize"/>.</summary>
    public string Domain { get; set; } = "";
    /// <summary>When a platform admin confirmed that the customer owns the domain; null while it is only claimed.</summary>
    public DateTime? VerifiedAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Version { get; set; }
}

/// <summary>The audit actions of customer domains.</summary>
public static class CustomerDomainAuditActions
{
    public const string Added = "domain_added";
    public const string Verified = "domain_verified";
    public const string Removed = "domain_removed";
}

internal sealed class CustomerDomainConfiguration : IEntityTypeConfiguration<CustomerDomain>
{
    public void Configure(EntityTypeBuilder<CustomerDomain> entity)
    {
        entity.ToTable("customer_domains");
        entity.Property(d => d.Domain).HasMaxLength(CustomerDomain.MaxDomainLength);
        // Across every tenant: a domain routes sign-ins to exactly one customer.
        entity.HasIndex(d => d.Domain).IsUnique();
        entity.HasIndex(d => new { d.CustomerId, d.Domain });
        entity.HasOne(d => d.Customer).WithMany().HasForeignKey(d => d.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>
/// Host names as customers type them: normalised (trimmed, lower case, IDN to punycode, no trailing dot) and checked
/// to be a registrable-looking DNS name.
/// </summary>
/// <remarks>
/// The public-suffix check is a small built-in list (the common multi-label country suffixes and shared hosting
/// suffixes), not the full Public Suffix List: a suffix missing from it passes here, which is why a platform admin
/// still confirms every domain before it routes. Well-known consumer mail domains are refused outright: routing
/// gmail.com to one customer would capture everybody's sign-in.
/// </remarks>
public static partial class DomainNames
{
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex LabelPattern();

    private static readonly HashSet<string> PublicSuffixes = new(StringComparer.Ordinal)
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "net.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au",
        "co.nz", "org.nz", "co.za", "org.za", "co.jp", "ne.jp", "or.jp", "ac.jp", "co.kr", "or.kr",
        "com.br", "net.br", "org.br", "com.cn", "net.cn", "org.cn", "com.mx", "com.ar", "com.tr", "com.tw", "com.hk",
        "com.sg", "com.my", "co.in", "net.in", "org.in", "co.id", "co.il", "co.th", "com.pl", "com.es", "com.ua",
        "github.io", "gitlab.io", "herokuapp.com", "azurewebsites.net", "cloudapp.net", "blogspot.com", "appspot.com",
        "netlify.app", "vercel.app", "pages.dev", "workers.dev", "web.app", "firebaseapp.com", "onmicrosoft.com",
        "amazonaws.com", "cloudfront.net", "s3.amazonaws.com",
    };

    private static readonly HashSet<string> ConsumerMailDomains = new(StringComparer.Ordinal)
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net",
        "web.de", "mail.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "zoho.com", "fastmail.com",
    };

    /// <summary>Normalises <paramref name="input"/>; on failure <paramref name="error"/> says what is wrong, for the field.</summary>
    public static bool TryNormalize(string? input, out string domain, out string? error)
    {
        domain = "";
        string value = (input ?? "").Trim();
        if (value.Length == 0)
        {
            error = "Enter a domain, like contoso.com.";
            return false;
        }

        if (value.Length > CustomerDomain.MaxDomainLength)
        {
            error = TextLimits.Message("A domain", CustomerDomain.MaxDomainLength, value.Length);
            return false;
        }

        if (value.Contains("://", StringComparison.Ordinal) || value.StartsWith("//", StringComparison.Ordinal))
        {
            error = "Enter the domain alone, without http:// or https://.";
            return false;
        }

        if (value.Contains('@'))
        {
            error = "Enter the domain alone, without the part before the @.";
            return false;
        }

        if (value.IndexOfAny(['/', '?', '#', '\\']) >= 0)
        {
            error = "Enter the domain alone, without a path.";
            return false;
        }

        if (value.Contains('*'))
        {
            error = "Wildcards are not allowed: add each domain on its own.";
            return false;
        }

        if (value.StartsWith('[') || IPAddress.TryParse(value, out _))
        {
            error = "Enter a domain name, not an IP address.";
            return false;
        }

        if (value.Contains(':'))
        {
            error = "Enter the domain alone, without a port.";
            return false;
        }

        if (value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            error = "A domain has no spaces.";
            return false;
        }

        value = value.TrimEnd('.');
        string ascii;
        try
        {
            ascii = new IdnMapping { UseStd3AsciiRules = true }.GetAscii(value).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            error = "This is not a valid domain name.";
            return false;
        }

        string[] labels = ascii.Split('.');
        if (ascii.Length > CustomerDomain.MaxDomainLength || labels.Any(l => !LabelPattern().IsMatch(l)))
        {
            error = "This is not a valid domain name.";
            return false;
        }

        if (labels.Length < 2)
        {
            error = "Enter a whole domain, like contoso.com: a top-level domain alone cannot be claimed.";
            return false;
        }

        if (labels[^1].All(char.IsAsciiDigit))
        {
            error = "Enter a domain name, not an IP address.";
            return false;
        }

        if (PublicSuffixes.Contains(ascii))
        {
            error = "This is a public suffix shared by many organisations: enter your own domain under it.";
            return false;
        }

        if (ConsumerMailDomains.Contains(ascii))
        {
            error = "This is a public email service: its addresses belong to everybody, not to one customer.";
            return false;
        }

        domain = ascii;
        error = null;
        return true;
    }

    /// <summary>The normalised domain of an email address, when it is one (length, one @, a local part, a valid domain).</summary>
    public static bool TryDomainOfEmail(string? email, out string domain)
    {
        domain = "";
        string value = (email ?? "").Trim();
        int at = value.LastIndexOf('@');
        if (value.Length is 0 or > Users.User.MaxEmailLength || at <= 0 || at > 64 || at == value.Length - 1 || value.IndexOf('@') != at
            || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or '"' or ',' or ';'))
        {
            return false;
        }

        return TryNormalize(value[(at + 1)..], out domain, out _) || IsValidHostOnly(value[(at + 1)..], out domain);
    }

    /// <summary>A consumer or public-suffix mail domain is still a valid email domain; it simply never routes.</summary>
    private static bool IsValidHostOnly(string value, out string domain)
    {
        domain = "";
        try
        {
            string ascii = new IdnMapping { UseStd3AsciiRules = true }.GetAscii(value.TrimEnd('.')).ToLowerInvariant();
            string[] labels = ascii.Split('.');
            if (labels.Length >= 2 && labels.All(l => LabelPattern().IsMatch(l)) && !labels[^1].All(char.IsAsciiDigit))
            {
                domain = ascii;
                return true;
            }
        }
        catch (ArgumentException)
        {
        }

        return false;
    }
}
