import { commandLine, redactSecrets } from './debug';

/** Sets environment variables for one test and restores them after it. */
function withEnv(values: Record<string, string>, body: () => void): void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  try {
    body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('redactSecrets', () => {
  test('hides the signature, credential and session token of a presigned S3 URL, and keeps the rest', () => {
    const url =
      'https://bucket.s3.amazonaws.com/Flow/_code/abc.cjs?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=604800&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-Signature=0123456789abcdef&X-Amz-SignedHeaders=host';
    expect(redactSecrets(`node -e <bootstrap> ${url} 9f86d0`)).toBe(
      'node -e <bootstrap> https://bucket.s3.amazonaws.com/Flow/_code/abc.cjs?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Date=20240101T000000Z&X-Amz-Expires=604800&X-Amz-Security-Token=***&X-Amz-Signature=***&X-Amz-SignedHeaders=host 9f86d0',
    );
  });

  test('hides the signature and credential of a signed GCS URL and a CloudFront-style Signature', () => {
    const gcs = 'https://storage.googleapis.com/b/key?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam.gserviceaccount.com%2F20240101&X-Goog-Signature=a1b2c3d4';
    expect(redactSecrets(gcs)).toBe('https://storage.googleapis.com/b/key?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=***&X-Goog-Signature=***');
    expect(redactSecrets("'https://d1.cloudfront.net/k?Expires=1&Signature=Zm9v~bar&Key-Pair-Id=K2'")).toBe("'https://d1.cloudfront.net/k?Expires=1&Signature=***&Key-Pair-Id=K2'");
  });

  test('hides the values of secret-looking environment variables, plain and URL-encoded', () => {
    withEnv({ AWS_SECRET_ACCESS_KEY: 'fake-secret/value+123', FLOWKIT_SERVICE_AUTH_KEY: 'another-fake-key-456', MY_DB_PASSWORD: 'hunter22' }, () => {
      expect(redactSecrets('key fake-secret/value+123, encoded fake-secret%2Fvalue%2B123, auth another-fake-key-456, db hunter22')).toBe('key ***, encoded ***, auth ***, db ***');
    });
  });

  test('leaves short secret values and values of other variables alone', () => {
    withEnv({ GITHUB_TOKEN: 'abc12', FLOWKIT_USER: 'tester-with-a-long-name' }, () => {
      expect(redactSecrets('abc12 by tester-with-a-long-name')).toBe('abc12 by tester-with-a-long-name');
    });
  });
});

describe('commandLine', () => {
  test('quotes only the arguments a shell would split or expand', () => {
    expect(commandLine(['node', 'loader.js', 'step', 'start', '--with', '[{"name":"retry"}]', "it's", ''])).toBe(`node loader.js step start --with '[{"name":"retry"}]' 'it'\\''s' ''`);
  });
});
