import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { TenantService } from '../core/tenant-service';
import { ApiKeyGuard, principalOf, type AuthedRequest } from './auth.guard';
import { apiKeyView } from './views';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

@ApiTags('api-keys')
@ApiSecurity('apiKey')
@ApiSecurity('bearer')
@Controller('api-keys')
@UseGuards(ApiKeyGuard)
export class ApiKeysController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  @ApiOperation({ summary: 'Mint an API key (admin keys only)', description: '`tenants`: "*" (every tenant, and admin) or a list of tenant ids. The key is returned once; only its SHA-256 is stored.' })
  @ApiBody({ schema: ref('ApiKeyCreate') })
  @ApiResponse({ status: 201, schema: ref('ApiKeyCreated') })
  @ApiResponse({ status: 400, schema: ref('Error') })
  @ApiResponse({ status: 401, schema: ref('Error') })
  @ApiResponse({ status: 403, description: 'not an admin key', schema: ref('Error') })
  async create(@Req() req: AuthedRequest, @Body() body: unknown) {
    const { key, record } = await this.tenants.createApiKey(principalOf(req), body);
    return { key, apiKey: apiKeyView(record) };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (admin keys only)' })
  @ApiResponse({ status: 200, schema: ref('ApiKeyList') })
  @ApiResponse({ status: 403, schema: ref('Error') })
  async list(@Req() req: AuthedRequest) {
    return { apiKeys: (await this.tenants.listApiKeys(principalOf(req))).map(apiKeyView) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (admin keys only)' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 404, schema: ref('Error') })
  async revoke(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    await this.tenants.revokeApiKey(principalOf(req), id);
  }
}
