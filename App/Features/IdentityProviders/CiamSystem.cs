using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.IdentityProviders;

public enum CiamProviderType
{
    /// <summary>Microsoft Entra ID (workforce), through Microsoft.Identity.Web.</summary>
    EntraId,
    /// <summary>Microsoft Entra External ID (CIAM, <c>https://&lt;tenant&gt;.ciamlogin.com/</c>), through Microsoft.Identity.Web.</summary>
    EntraExternalId,
    /// <summary>Any other OpenID Connect provider: Auth0, Okta, Keycloak, the embedded dev IdP.</summary>
    Oidc,
}

/// <summary>An identity provider (row of <c>ciam_systems</c>). A null <see cref="CustomerId"/> is a platform-wide provider.</summary>
public class CiamSystem : IHasId, IVersioned, IHasTimestamps
{
    public const int MaxNameLength = 200;
    public const int MaxAuthorityLength = 500;
    public const int MaxClientIdLength = 200;
    public const int MaxScopesLength = 500;
    /// <summary>Of the secret as typed; what is stored is its Data Protection ciphertext.</summary>
    public const int MaxSecretLength = 1000;

    public long Id { get; set; }
    public long? CustomerId { get; set; }
    public Customer? Customer { get; set; }
    public string Name { get; set; } = "";
    public CiamProviderType ProviderType { get; set; } = CiamProviderType.Oidc;
    public string Authority { get; set; } = "";
    public string ClientId { get; set; } = "";
    /// <summary>The client secret, protected with ASP.NET Data Protection; never shown, never logged.</summary>
    [Secret] public string? ClientSecretProtected { get; set; }
    public DateTime? ClientSecretSetAt { get; set; }
    /// <summary>Space-separated, as in an OAuth scope parameter.</summary>
    public string Scopes { get; set; } = "openid profile email";
    public bool IsEnabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal sealed class CiamSystemConfiguration : IEntityTypeConfiguration<CiamSystem>
{
    public void Configure(EntityTypeBuilder<CiamSystem> entity)
    {
        entity.Property(c => c.Name).HasMaxLength(CiamSystem.MaxNameLength);
        entity.Property(c => c.ProviderType).HasMaxLength(32).HasConversion(SnakeCaseEnumConverter.For<CiamProviderType>());
        entity.ToTable(t => t.HasCheckConstraint("ck_ciam_systems_provider_type", SnakeCaseEnumConverter.CheckConstraintSql<CiamProviderType>("provider_type")));
        entity.Property(c => c.Authority).HasMaxLength(CiamSystem.MaxAuthorityLength);
        entity.Property(c => c.ClientId).HasMaxLength(CiamSystem.MaxClientIdLength);
        entity.Property(c => c.Scopes).HasMaxLength(CiamSystem.MaxScopesLength);
        entity.HasOne(c => c.Customer).WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Restrict);
        entity.HasIndex(c => new { c.CustomerId, c.Name, c.Id });
    }
}
